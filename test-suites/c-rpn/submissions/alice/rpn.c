/* Alice Nguyen -- cs101 lab 5 -- RPN calculator
 * Stack grows with realloc, lines are read with getline so there is no length limit. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

static double *stack = NULL;
static int sp = 0, cap = 0;

static void push(double x)
{
    if (sp == cap) {
        cap = cap == 0 ? 16 : cap * 2;
        stack = realloc(stack, cap * sizeof(double));
        if (stack == NULL) {
            fprintf(stderr, "out of memory\n");
            exit(2);
        }
    }
    stack[sp++] = x;
}

/* returns an error message, or NULL when everything went fine */
static const char *do_token(const char *t)
{
    char *end;
    double x = strtod(t, &end);
    if (end != t && *end == '\0') {
        push(x);
        return NULL;
    }
    if (strcmp(t, "sqrt") == 0) {
        if (sp < 1)
            return "not enough operands";
        if (stack[sp - 1] < 0)
            return "sqrt of negative number";
        stack[sp - 1] = sqrt(stack[sp - 1]);
        return NULL;
    }
    if (strlen(t) != 1 || strchr("+-*/^", t[0]) == NULL)
        return "unknown token";
    if (sp < 2)
        return "not enough operands";
    double b = stack[--sp];
    double a = stack[--sp];
    switch (t[0]) {
    case '+': push(a + b); break;
    case '-': push(a - b); break;
    case '*': push(a * b); break;
    case '^': push(pow(a, b)); break;
    case '/':
        if (b == 0.0)
            return "division by zero";
        push(a / b);
        break;
    }
    return NULL;
}

/* evaluates the tokens, prints the answer; returns 1 if it was an error */
static int run(char **toks, int n)
{
    const char *err = NULL;
    sp = 0;
    for (int i = 0; i < n && err == NULL; i++)
        err = do_token(toks[i]);
    if (err == NULL && sp != 1)
        err = sp == 0 ? "empty expression" : "too many operands";
    if (err != NULL) {
        printf("error: %s\n", err);
        return 1;
    }
    printf("%g\n", stack[0]);
    return 0;
}

int main(int argc, char *argv[])
{
    if (argc > 1)
        return run(argv + 1, argc - 1);

    char *line = NULL;
    size_t len = 0;
    int status = 0;
    char **toks = NULL;
    int tokcap = 0;
    while (getline(&line, &len, stdin) != -1) {
        int n = 0;
        char *t = strtok(line, " \t\r\n");
        while (t != NULL) {
            if (n == tokcap) {
                tokcap = tokcap == 0 ? 16 : tokcap * 2;
                toks = realloc(toks, tokcap * sizeof(char *));
            }
            toks[n++] = t;
            t = strtok(NULL, " \t\r\n");
        }
        if (n == 0)
            continue;   /* blank line */
        if (run(toks, n))
            status = 1;
    }
    free(line);
    free(toks);
    free(stack);
    return status;
}
