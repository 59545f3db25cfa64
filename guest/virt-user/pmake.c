// pmake: the "Pmake" workload of Disco's evaluation (SOSP 1997), a parallel build: many
// short-lived compiler processes that share their program text (every one runs this ELF) and
// read files.
//
//   pmake [-j JOBS] [-n FILES]  compiles pm000.c .. pm(FILES-1).c (default 64) with cc, keeping
//                               JOBS (default 16) running: a new one starts whenever one ends.
//                               PASS iff every cc exits 0
//   cc FILE                     reads FILE in small reads, as a compiler's buffered input does,
//                               splits it into tokens, enters the identifiers in a symbol table
//                               (a hash table in .bss, so each new name may fault in a fresh
//                               page), folds the constant expressions it can (NAME = EXPR ; or
//                               , with numbers and names already folded), and checks its token
//                               checksum against the file's last line, /* check: 0xHHHHHHHH */
//
// The sources come from bench/numa-disk.ts (pmakeSources), which computes the check by the
// same definition: FNV-1a (32-bit) over the texts of the tokens, with one space between
// consecutive tokens. Tokens: an identifier [A-Za-z_][A-Za-z0-9_]*; a number [0-9][A-Za-z0-9_]*;
// a string, from " to the next "; one of the two-character operators in twochar[] below; or
// any other single character. Blanks (space, tab, newline, carriage return) and comments
// (/* to */, // to the end of the line) separate tokens and are not tokens, the check line
// among them. cc runs under qemu-riscv64 too: `qemu-riscv64 virt-user.linux.elf cc FILE`.
#include "user.h"

int pmake(int argc, char **argv) {
  long jobs = option(argc, argv, "-j", 16), files = option(argc, argv, "-n", 64);
  if (jobs < 1 || files < 0 || files > 1000) {
    printf("pmake: -j must be at least 1, -n 0 to 1000\n");
    return 2;
  }
  long running = 0, started = 0, failed = 0;
  while (started < files || running > 0) {
    if (running < jobs && started < files) {
      char name[] = "pm000.c";
      name[2] = '0' + started / 100;
      name[3] = '0' + started / 10 % 10;
      name[4] = '0' + started % 10;
      char *args[] = {"cc", name, 0};
      if (spawn("virt-user", args) < 0) {
        printf("pmake: cannot start cc %s\n", name);
        failed++;
      } else {
        running++;
      }
      started++;
      continue;
    }
    int status = -1;
    if (waitpid(-1, &status) < 0)
      break;
    running--;
    failed += WEXITSTATUS(status) != 0;
  }
  printf("pmake: %ld files, at most %ld cc at a time, %ld failed\n", files, jobs, failed);
  printf("pmake: %s\n", failed || running ? "FAIL" : "PASS");
  return failed || running;
}

// ---- cc ----

#define CC_READ 512     // bytes a read asks for
#define CC_SOURCE 65536 // the largest source
#define CC_TOKENS 16384
#define CC_SYMS 8192    // symbol table slots, a power of two: 256 KiB

enum { IDENT, NUMBER, STRING, PUNCT };

// An operator's characters packed in a number, so that the parser compares numbers, not strings.
#define OP(a, b) ((a) | (b) << 8)

struct token {
  uint32 off; // in src[]
  uint16 len;
  uint8 kind;
  uint16 op;  // PUNCT: its characters, OP(first, second or 0)
};

struct sym {
  uint32 off, len; // the name, in src[]; len 0: a free slot
  uint32 refs;
  int known;       // value is a folded constant
  int64 value;
};

static char src[CC_SOURCE];
static struct token toks[CC_TOKENS];
static struct sym syms[CC_SYMS];
static int nsrc, ntoks, nsyms;

static const char *twochar[] = {"==", "!=", "<=", ">=", "&&", "||", "++", "--",
                                "+=", "-=", "*=", "/=", "->", "<<", ">>"};

static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_hex(int c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
static int is_blank(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static uint32 fnv(uint32 h, const char *p, int n) {
  for (int i = 0; i < n; i++)
    h = (h ^ (uint8)p[i]) * 16777619u;
  return h;
}

// Whether token i is the operator op.
static int is_op(int i, int op) { return i < ntoks && toks[i].op == op; }

// Splits src[] into toks[]; sets *check from the check comment. Returns -1 if there are too many.
static int tokenize(uint32 *check) {
  for (int i = 0; i < nsrc;) {
    int start = i, kind = PUNCT, op = 0;
    char c = src[i];
    if (is_blank(c)) {
      i++;
      continue;
    }
    if (c == '/' && i + 1 < nsrc && src[i + 1] == '/') {
      while (i < nsrc && src[i] != '\n')
        i++;
      continue;
    }
    if (c == '/' && i + 1 < nsrc && src[i + 1] == '*') {
      for (i += 2; i + 1 < nsrc && !(src[i] == '*' && src[i + 1] == '/'); i++)
        ;
      i += 2; // past the */, or the end of an unterminated comment
      static const char mark[] = "/* check: 0x";
      if (i - start > (int)sizeof(mark) && memcmp(src + start, mark, sizeof(mark) - 1) == 0) {
        *check = 0;
        for (int j = start + sizeof(mark) - 1; is_hex(src[j]); j++)
          *check = *check << 4 | (is_digit(src[j]) ? src[j] - '0' : src[j] - 'a' + 10);
      }
      continue;
    }
    if (is_alpha(c) || is_digit(c)) {
      kind = is_alpha(c) ? IDENT : NUMBER;
      while (i < nsrc && (is_alpha(src[i]) || is_digit(src[i])))
        i++;
    } else if (c == '"') {
      for (i++; i < nsrc && src[i] != '"'; i++)
        ;
      i = i < nsrc ? i + 1 : nsrc; // an unterminated string ends with the file
      kind = STRING;
    } else {
      op = (uint8)c;
      for (int k = 0; k < (int)NELEM(twochar); k++)
        if (i + 1 < nsrc && c == twochar[k][0] && src[i + 1] == twochar[k][1]) {
          op = OP(c, src[++i]);
          break;
        }
      i++;
    }
    if (ntoks == CC_TOKENS)
      return -1;
    toks[ntoks++] = (struct token){start, i - start, kind, op};
  }
  return 0;
}

// The symbol table's slot for identifier token i, entered if new.
static struct sym *lookup(int i) {
  const char *name = src + toks[i].off;
  int len = toks[i].len;
  for (uint32 h = fnv(2166136261u, name, len) & (CC_SYMS - 1);; h = (h + 1) & (CC_SYMS - 1)) {
    struct sym *s = &syms[h];
    if (s->len == 0) {
      if (nsyms == CC_SYMS - 1)
        panic("cc: symbol table full");
      nsyms++;
      *s = (struct sym){toks[i].off, len, 0, 0, 0};
      return s;
    }
    if (s->len == (uint32)len && memcmp(src + s->off, name, len) == 0)
      return s;
  }
}

// ---- constant folding: an operator-precedence evaluator over toks[] ----

static int pos, constant; // the next token; whether everything so far was constant

static int64 expr(int min);

static int64 number_at(int i) {
  const char *p = src + toks[i].off;
  int n = toks[i].len, base = 10, j = 0;
  uint64 v = 0;
  if (n > 2 && p[0] == '0' && p[1] == 'x')
    base = 16, j = 2;
  for (; j < n; j++) {
    if (!(base == 16 ? is_hex(p[j]) : is_digit(p[j]))) { // a suffix, or malformed: not ours to fold
      constant = 0;
      return 0;
    }
    v = v * base + (is_digit(p[j]) ? p[j] - '0' : p[j] - 'a' + 10);
  }
  return (int64)v;
}

static int64 primary(void) {
  if (pos >= ntoks) {
    constant = 0;
    return 0;
  }
  int i = pos++;
  if (toks[i].kind == NUMBER)
    return number_at(i);
  if (toks[i].kind == IDENT) {
    struct sym *s = lookup(i);
    constant &= s->known;
    return s->value;
  }
  if (toks[i].op == '(') {
    int64 v = expr(1);
    if (!is_op(pos, ')'))
      constant = 0;
    pos++;
    return v;
  }
  if (toks[i].op == '-')
    return -(uint64)primary();
  if (toks[i].op == '~')
    return ~primary();
  constant = 0;
  return 0;
}

// C's binary operators that fold, by precedence (higher binds tighter); 0 for the others.
static int precedence(int op) {
  switch (op) {
  case '*': case '/': case '%': return 6;
  case '+': case '-': return 5;
  case OP('<', '<'): case OP('>', '>'): return 4;
  case '&': return 3;
  case '^': return 2;
  case '|': return 1;
  default: return 0;
  }
}

// An expression whose operators bind at least as tightly as min, left to right.
static int64 expr(int min) {
  int64 v = primary();
  for (;;) {
    int op = pos < ntoks ? toks[pos].op : 0, prec = precedence(op);
    if (prec == 0 || prec < min || !constant)
      return v;
    pos++;
    int64 w = expr(prec + 1);
    uint64 a = v, b = w; // wrapping arithmetic: nothing undefined
    switch (op) {
    case '|': v = a | b; break;
    case '^': v = a ^ b; break;
    case '&': v = a & b; break;
    case OP('<', '<'): v = a << (b & 63); break;
    case OP('>', '>'): v = v >> (b & 63); break;
    case '+': v = a + b; break;
    case '-': v = a - b; break;
    case '*': v = a * b; break;
    default: // / and %
      if (w == 0 || (w == -1 && v == (int64)(1UL << 63)))
        constant = 0;
      else
        v = op == '/' ? v / w : v % w;
    }
  }
}

int cc(int argc, char **argv) {
  if (argc != 2) {
    printf("usage: cc FILE\n");
    return 2;
  }
  int fd = xopen(argv[1]);
  if (fd < 0) {
    printf("cc: %s: no such file\n", argv[1]);
    return 1;
  }
  long n;
  int reads = 0;
  while (nsrc < CC_SOURCE && (n = xread(fd, src + nsrc, CC_SOURCE - nsrc < CC_READ ? CC_SOURCE - nsrc : CC_READ)) > 0) {
    nsrc += n;
    reads++;
  }
  xclose(fd);
  uint32 check = 0;
  if (nsrc == CC_SOURCE || tokenize(&check) < 0) {
    printf("cc: %s: too big\n", argv[1]);
    return 1;
  }
  uint32 sum = 2166136261u;
  int64 folded_sum = 0;
  int folded = 0;
  for (int i = 0; i < ntoks; i++) {
    if (i > 0)
      sum = fnv(sum, " ", 1);
    sum = fnv(sum, src + toks[i].off, toks[i].len);
    if (toks[i].kind != IDENT)
      continue;
    struct sym *s = lookup(i);
    s->refs++;
    if (is_op(i + 1, '=')) { // NAME = EXPR followed by ; or , is folded if it is constant
      pos = i + 2;
      constant = 1;
      int64 v = expr(1);
      s->known = constant && (is_op(pos, ';') || is_op(pos, ','));
      s->value = v;
      if (s->known) {
        folded++;
        folded_sum += v;
      }
    }
  }
  int ok = check == sum;
  printf("cc %s: %d bytes in %d reads, %d tokens, %d symbols, %d constants folded (sum %ld), checksum 0x%08x%s\n",
         argv[1], nsrc, reads, ntoks, nsyms, folded, folded_sum, sum, ok ? "" : " (WRONG)");
  return !ok;
}
