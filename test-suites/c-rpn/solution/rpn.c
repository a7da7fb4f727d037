/*
 * cs101 assignment "rpn" -- reference solution.
 *
 *   ./rpn            evaluate one RPN expression per line of standard input
 *   ./rpn TOKEN...   evaluate the command-line arguments as one expression
 *
 * Tokens are separated by blanks. A number is anything strtod() accepts in full (3, -2.5, 1e3).
 * Operators: + - * / ^ (binary) and sqrt (unary). Each result is printed with "%.10g"; blank
 * lines print nothing. An expression that cannot be evaluated prints one line
 * "error: <reason>" instead (stack underflow, division by zero, unknown token 'T', too many
 * operands) and evaluation goes on with the next line. The exit status is 1 if any expression
 * failed, 0 otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  double *items;
  size_t size, capacity;
} Stack;

static void push(Stack *s, double v) {
  if (s->size == s->capacity) {
    s->capacity = s->capacity ? 2 * s->capacity : 64;
    s->items = realloc(s->items, s->capacity * sizeof *s->items);
    if (!s->items) {
      perror("rpn");
      exit(2);
    }
  }
  s->items[s->size++] = v;
}

/* Applies one token. Returns NULL on success, otherwise the error message (written into err). */
static const char *apply(Stack *s, const char *tok, char *err, size_t errlen) {
  char *end;
  errno = 0;
  double v = strtod(tok, &end);
  if (end != tok && *end == '\0') {
    push(s, v);
    return NULL;
  }
  if (strcmp(tok, "sqrt") == 0) {
    if (s->size < 1) return "stack underflow";
    double a = s->items[s->size - 1];
    if (a < 0) return "square root of a negative number";
    s->items[s->size - 1] = sqrt(a);
    return NULL;
  }
  if (strlen(tok) == 1 && strchr("+-*/^", tok[0])) {
    if (s->size < 2) return "stack underflow";
    double b = s->items[--s->size];
    double a = s->items[s->size - 1];
    double r;
    switch (tok[0]) {
      case '+': r = a + b; break;
      case '-': r = a - b; break;
      case '*': r = a * b; break;
      case '/':
        if (b == 0) return "division by zero";
        r = a / b;
        break;
      default: r = pow(a, b); break;
    }
    s->items[s->size - 1] = r;
    return NULL;
  }
  snprintf(err, errlen, "unknown token '%s'", tok);
  return err;
}

/* Evaluates the tokens of one expression; prints its result or error. Returns 0 or 1. */
static int evaluate(char **tokens, size_t n) {
  static Stack s;
  char err[128];
  const char *msg = NULL;
  s.size = 0;
  if (n == 0) return 0;
  for (size_t i = 0; i < n && !msg; i++) msg = apply(&s, tokens[i], err, sizeof err);
  if (!msg && s.size != 1) msg = s.size == 0 ? "stack underflow" : "too many operands";
  if (msg) {
    printf("error: %s\n", msg);
    return 1;
  }
  printf("%.10g\n", s.items[0]);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1) return evaluate(argv + 1, (size_t)(argc - 1));

  int failed = 0;
  char *line = NULL;
  size_t cap = 0;
  char **tokens = NULL;
  size_t tokcap = 0;
  while (getline(&line, &cap, stdin) != -1) {
    size_t n = 0;
    for (char *tok = strtok(line, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
      if (n == tokcap) {
        tokcap = tokcap ? 2 * tokcap : 64;
        tokens = realloc(tokens, tokcap * sizeof *tokens);
        if (!tokens) {
          perror("rpn");
          return 2;
        }
      }
      tokens[n++] = tok;
    }
    failed |= evaluate(tokens, n);
  }
  free(tokens);
  free(line);
  return failed;
}
