// Processes and the round-robin scheduler (xv6 kernel/proc.c, one hart, no locks).
//
// Each process runs its kernel side on its own one-page kernel stack. swtch() moves between
// a process's kernel side and the scheduler's context; the scheduler switches satp to the
// process's table and arms the timer (stimecmp, Sstc) for one time slice before it does.
#include "defs.h"

struct proc proc[NPROC];
static struct proc *current;
static struct context scheduler_context;
static int nextpid = 1;

struct proc *myproc(void) { return current; }

// First return of a new process's kernel side: straight out to user mode.
static void forkret(void) { userret(usertrapret(current)); }

struct proc *allocproc(const char *name) {
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    if (p->state != UNUSED)
      continue;
    memset(p, 0, sizeof(*p));
    p->kstack = (uint64)kalloc();
    if (!p->kstack)
      return 0;
    p->pid = nextpid++;
    for (int i = 0; name[i] && i < (int)sizeof(p->name) - 1; i++)
      p->name[i] = name[i];
    p->tf.kernel_sp = p->kstack + PGSIZE;
    p->context.ra = (uint64)forkret;
    p->context.sp = p->kstack + PGSIZE;
    return p;
  }
  return 0;
}

static void freeproc(struct proc *p) {
  uvmfree(p->pagetable);
  kfree((void *)p->kstack);
  p->pagetable = 0;
  p->kstack = 0;
}

static void report(void);

void scheduler(void) {
  for (;;) {
    int alive = 0;
    for (struct proc *p = proc; p < &proc[NPROC]; p++) {
      if (p->state != RUNNABLE)
        continue;
      alive = 1;
      current = p;
      p->state = RUNNING;
      sfence_vma();
      w_satp(MAKE_SATP(p->pagetable));
      sfence_vma(); // no ASIDs: forget the previous process's translations
      w_stimecmp(r_time() + TIME_SLICE);
      swtch(&scheduler_context, &p->context);
      current = 0;
      if (p->state == ZOMBIE) {
        kvminithart(); // leave the table we are about to free
        freeproc(p);
      }
    }
    if (!alive)
      report();
  }
}

// Give up the hart: back to the scheduler, which resumes us in a later round.
static void sched(void) { swtch(&current->context, &scheduler_context); }

void yield(void) {
  current->state = RUNNABLE;
  sched();
}

void exitproc(int status) {
  struct proc *p = current;
  p->xstate = status;
  p->state = ZOMBIE;
  printf("[kernel] pid %d (%s) exited with status %d\n", p->pid, p->name, status);
  sched();
  panic("zombie ran");
}

// All processes are gone: say how it went and power off.
static void report(void) {
  int ok = 1, preemptions = 0, faults = 0;
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    if (p->pid == 0)
      continue;
    printf("[kernel] pid %d (%s): status %d, %d timer preemptions, %d demand faults, %d syscalls\n",
           p->pid, p->name, p->xstate, p->preemptions, p->faults, p->syscalls);
    ok &= p->xstate == 0;
    preemptions += p->preemptions;
    faults += p->faults;
  }
  int leaked = kfree_at_boot - kfreecount();
  printf("[kernel] free pages: %d at boot, %d now\n", kfree_at_boot, kfreecount());
  if (preemptions == 0)
    printf("[kernel] FAIL: the timer never preempted a process\n");
  if (faults == 0)
    printf("[kernel] FAIL: no demand page faults were taken\n");
  if (leaked)
    printf("[kernel] FAIL: %d pages leaked\n", leaked);
  ok &= preemptions > 0 && faults > 0 && leaked == 0;
  printf("kernel-sv39: %s\n", ok ? "PASS" : "FAIL");
  sbi_shutdown(ok ? 0 : 1);
}
