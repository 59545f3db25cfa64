// Processes, the per-hart schedulers, sleep and wakeup (xv6 kernel/proc.c, with one lock for
// the whole table as xv6 had it first).
//
// ptable_lock guards every process's state, chan, parent and xstate, and the choice of who
// runs. A hart's scheduler holds it across swtch() into a process and gets it back when the
// process gives up the hart (yield, sleep, exit all call sched() holding it); a new process
// releases it in forkret. Each hart runs its own scheduler loop over the shared table: it
// prefers the processes that last ran on it, and takes another hart's when it has none of its
// own, so a process stays on its hart while the load allows and moves when a hart would
// otherwise idle (counted as migrations).
//
// Idle: a hart with nothing to run cancels its timer (tickless) and waits in wfi with
// interrupts masked, so nothing can slip in between its look at the table and the wait; an
// interrupt that is pending wakes it, and it takes it with interrupts briefly on. Whoever
// makes a process runnable sends an IPI to the idle harts (kick_idle_harts).
#include "defs.h"

struct cpu cpus[NCPU];
static struct proc proc[NPROC];
static struct spinlock ptable_lock;
static int nextpid = 1;
static volatile uint64 idle_mask; // bit h: hart h waits in its idle loop

// Finished processes, for the report at power-off.
struct exited {
  int pid, xstate, migrations, preemptions, faults, syscalls;
  char name[16];
};
static struct exited history[32];
static int nhistory, nexited;

struct cpu *mycpu(void) { return &cpus[cpuid()]; }
struct proc *myproc(void) { return mycpu()->proc; }

void procinit(void) { initlock(&ptable_lock, "ptable"); }

// A new process's first run: out of the scheduler's lock, straight to user mode.
static void forkret(void) {
  release(&ptable_lock);
  usertrapret(myproc());
}

static void freeproc(struct proc *p) {
  if (p->pagetable)
    uvmfree(p->pagetable);
  if (p->kstack)
    kfree((void *)p->kstack);
  if (p->tf)
    kfree(p->tf);
  p->pagetable = 0;
  p->kstack = 0;
  p->tf = 0;
  p->state = UNUSED;
}

static struct proc *allocproc(const char *name) {
  struct proc *p = 0;
  acquire(&ptable_lock);
  for (struct proc *q = proc; q < &proc[NPROC]; q++) {
    if (q->state == UNUSED) {
      p = q;
      p->state = EMBRYO;
      p->pid = nextpid++;
      break;
    }
  }
  release(&ptable_lock);
  if (!p)
    return 0;
  int pid = p->pid;
  memset((char *)p + sizeof(p->state), 0, sizeof(*p) - sizeof(p->state));
  p->pid = pid;
  p->lastcpu = -1;
  for (int i = 0; i < NSHMAT; i++)
    p->shm[i] = -1;
  p->kstack = (uint64)kalloc();
  p->tf = kalloc();
  if (!p->kstack || !p->tf) {
    acquire(&ptable_lock);
    freeproc(p);
    release(&ptable_lock);
    return 0;
  }
  for (int i = 0; name[i] && i < (int)sizeof(p->name) - 1; i++)
    p->name[i] = name[i];
  p->context.ra = (uint64)forkret;
  p->context.sp = p->kstack + PGSIZE;
  return p;
}

// A new process running `path` with argv; it becomes runnable at once. Returns its pid.
int spawn(struct proc *parent, const char *path, char **argv) {
  struct proc *p = allocproc(argv[0] ? argv[0] : path);
  if (!p)
    return -1;
  if (exec(p, path, argv) < 0) {
    acquire(&ptable_lock);
    freeproc(p);
    release(&ptable_lock);
    return -1;
  }
  int pid = p->pid;
  acquire(&ptable_lock);
  p->parent = parent ? parent->pid : 0;
  p->state = RUNNABLE;
  release(&ptable_lock);
  kick_idle_harts();
  return pid;
}

void kick_idle_harts(void) {
  uint64 mask = idle_mask & ~(1UL << cpuid());
  if (mask)
    sbi_send_ipi(mask);
}

static void idle(struct cpu *c) {
  sbi_set_timer(~0UL); // tickless: nothing to preempt
  c->idle_waits++;
  __atomic_fetch_or(&idle_mask, 1UL << cpuid(), __ATOMIC_SEQ_CST);
  wfi(); // interrupts masked: a pending one ends the wait
  __atomic_fetch_and(&idle_mask, ~(1UL << cpuid()), __ATOMIC_SEQ_CST);
  CSR_SET(sstatus, MSTATUS_SIE); // take whatever woke us
  CSR_CLEAR(sstatus, MSTATUS_SIE);
}

// The next process for hart `me` to run, round-robin from *next: one that last ran here, or
// never ran, if there is one (cache affinity, as IRIX's and Linux's schedulers have it); else
// any, which then migrates here. Caller holds ptable_lock.
static struct proc *pick(int me, int *next) {
  struct proc *any = 0;
  for (int i = 0; i < NPROC; i++) {
    struct proc *q = &proc[(*next + i) % NPROC];
    if (q->state != RUNNABLE)
      continue;
    if (q->lastcpu == me || q->lastcpu < 0) {
      *next = (*next + i + 1) % NPROC;
      return q;
    }
    if (!any)
      any = q;
  }
  if (any)
    *next = (any - proc + 1) % NPROC;
  return any;
}

void scheduler(void) {
  struct cpu *c = mycpu();
  int next = 0;
  for (;;) {
    acquire(&ptable_lock);
    struct proc *p = pick(cpuid(), &next);
    if (!p) {
      release(&ptable_lock);
      idle(c);
      continue;
    }
    p->state = RUNNING;
    if (p->lastcpu >= 0 && p->lastcpu != cpuid())
      p->migrations++;
    p->lastcpu = cpuid();
    c->proc = p;
    c->switches++;
    sfence_vma();
    w_satp(MAKE_SATP(p->pagetable));
    sfence_vma(); // no ASIDs: forget the previous address space
    c->new_slice = 1; // armed by usertrapret, out of ptable_lock: an SBI call is slow
    swtch(&c->context, &p->context);
    c->proc = 0;
    kvminithart(); // off the process's table, which wait() may free
    release(&ptable_lock);
  }
}

// Back to this hart's scheduler; the caller holds ptable_lock and has changed p->state.
static void sched(void) {
  struct proc *p = myproc();
  if (!holding(&ptable_lock) || p->state == RUNNING)
    panic("sched");
  swtch(&p->context, &mycpu()->context);
}

void yield(int preempted) {
  struct proc *p = myproc();
  acquire(&ptable_lock);
  p->state = RUNNABLE;
  p->preemptions += preempted;
  sched();
  release(&ptable_lock);
}

// Gives up the hart until wakeup(chan); lk is released meanwhile and held again on return.
void sleep(void *chan, struct spinlock *lk) {
  struct proc *p = myproc();
  if (lk != &ptable_lock) {
    acquire(&ptable_lock);
    release(lk);
  }
  p->chan = chan;
  p->state = SLEEPING;
  sched();
  p->chan = 0;
  if (lk != &ptable_lock) {
    release(&ptable_lock);
    acquire(lk);
  }
}

static int wakeup1(void *chan) {
  int n = 0;
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    if (p->state == SLEEPING && p->chan == chan) {
      p->state = RUNNABLE;
      n++;
    }
  }
  return n;
}

void wakeup(void *chan) {
  acquire(&ptable_lock);
  int n = wakeup1(chan);
  release(&ptable_lock);
  if (n)
    kick_idle_harts();
}

static struct proc *findpid(int pid) {
  for (struct proc *p = proc; p < &proc[NPROC]; p++)
    if (p->state != UNUSED && p->pid == pid)
      return p;
  return 0;
}

void exitproc(int status) {
  struct proc *p = myproc();
  for (int i = 0; i < NOFILE; i++)
    p->files[i].used = 0;
  shmexit(p);
  acquire(&ptable_lock);
  for (struct proc *q = proc; q < &proc[NPROC]; q++) // orphans go to init
    if (q->state != UNUSED && q->parent == p->pid)
      q->parent = 1;
  p->xstate = status;
  p->state = ZOMBIE;
  struct proc *parent = findpid(p->parent);
  if (parent)
    wakeup1(parent);
  nexited++;
  if (nhistory < (int)NELEM(history)) {
    struct exited *e = &history[nhistory++];
    *e = (struct exited){p->pid, status, p->migrations, p->preemptions, p->faults, p->syscalls, {0}};
    memcpy(e->name, p->name, sizeof(e->name));
  }
  kick_idle_harts(); // the parent may be runnable now (still holding the lock: once it is
                     // released the parent may free this process's stack)
  sched();
  panic("zombie ran");
}

// Waits for child `pid` (or any child if pid <= 0) to exit and frees it. Returns its pid and
// puts its exit status in *status; -1 if there is no such child.
int waitpid(int pid, int *status) {
  struct proc *me = myproc();
  acquire(&ptable_lock);
  for (;;) {
    int found = 0;
    for (struct proc *p = proc; p < &proc[NPROC]; p++) {
      if (p->state == UNUSED || p->parent != me->pid || (pid > 0 && p->pid != pid))
        continue;
      found = 1;
      if (p->state == ZOMBIE) {
        int got = p->pid;
        *status = p->xstate;
        freeproc(p);
        release(&ptable_lock);
        return got;
      }
    }
    if (!found) {
      release(&ptable_lock);
      return -1;
    }
    sleep(me, &ptable_lock);
  }
}

void report(void) {
  printf("[kernel] processes:\n");
  for (int i = 0; i < nhistory; i++) {
    struct exited *e = &history[i];
    printf("[kernel]   pid %d %-8s status %d, %d preemptions, %d migrations, %d page faults, %d syscalls\n", e->pid,
           e->name, e->xstate, e->preemptions, e->migrations, e->faults, e->syscalls);
  }
  if (nexited > nhistory)
    printf("[kernel]   and %d more\n", nexited - nhistory);
  for (int h = 0; h < machine.ncpu && h < NCPU; h++)
    printf("[kernel] hart %d: %ld switches, %ld idle waits, %ld interrupts, %ld IPIs\n", h, cpus[h].switches,
           cpus[h].idle_waits, cpus[h].interrupts, cpus[h].ipis);
}
