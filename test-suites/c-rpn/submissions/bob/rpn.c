// Bob Schmidt - lab 5 rpn calculator
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

double *stk;
int top, size;

void push(double v) {
    if (top == size) {
        size = size * 2 + 8;
        stk = realloc(stk, size * sizeof(double));
    }
    stk[top++] = v;
}

// integer power, pow() gave me linker errors at first
double power(double base, double e) {
    double r = 1;
    for (int i = 1; i < (int)e; i++)
        r = r * base;
    return r;
}

int is_number(const char *s, double *out) {
    char *end;
    *out = strtod(s, &end);
    return end != s && *end == 0;
}

// 0 = ok, otherwise prints the error and returns 1
int eval(char **tok, int n) {
    top = 0;
    for (int i = 0; i < n; i++) {
        double v;
        if (is_number(tok[i], &v)) {
            push(v);
        } else if (strcmp(tok[i], "sqrt") == 0) {
            if (top < 1) { printf("error: stack underflow\n"); return 1; }
            stk[top - 1] = sqrt(stk[top - 1]);
        } else if (strlen(tok[i]) == 1 && strchr("+-*/^", tok[i][0])) {
            if (top < 2) { printf("error: stack underflow\n"); return 1; }
            double b = stk[--top];
            double a = stk[--top];
            char op = tok[i][0];
            if (op == '+') push(a + b);
            else if (op == '-') push(a - b);
            else if (op == '*') push(a * b);
            else if (op == '^') push(power(a, b));
            else {
                if (b == 0) { printf("error: division by zero\n"); return 1; }
                push(a / b);
            }
        } else {
            printf("error: unknown token '%s'\n", tok[i]);
            return 1;
        }
    }
    if (top != 1) {
        printf("error: %s\n", top == 0 ? "stack underflow" : "too many operands");
        return 1;
    }
    printf("%.10g\n", stk[0]);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2)
        return eval(argv + 1, argc - 1);
    char *line = NULL;
    size_t n = 0;
    int bad = 0;
    char **tok = NULL;
    int tcap = 0;
    while (getline(&line, &n, stdin) > 0) {
        int cnt = 0;
        for (char *t = strtok(line, " \t\n"); t; t = strtok(NULL, " \t\n")) {
            if (cnt == tcap) {
                tcap = tcap * 2 + 8;
                tok = realloc(tok, tcap * sizeof(char *));
            }
            tok[cnt++] = t;
        }
        if (cnt > 0 && eval(tok, cnt))
            bad = 1;
    }
    return bad;
}
