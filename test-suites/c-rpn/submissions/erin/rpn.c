/* Erin Walsh -- lab 5 RPN calculator */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define MAX 10000

double stack[MAX];
int sp = 0;

int apply(const char *tok)
{
    char *end;
    double v = strtod(tok, &end);
    if (end != tok && *end == '\0') {
        if (sp == MAX)
            return -1;
        stack[sp++] = v;
        return 0;
    }
    if (strcmp(tok, "sqrt") == 0) {
        if (sp < 1)
            return -1;
        stack[sp - 1] = sqrt(stack[sp - 1]);
        return 0;
    }
    if (sp < 2)
        return -1;
    double b = stack[--sp];
    double a = stack[--sp];
    switch (tok[0]) {
    case '+': stack[sp++] = a + b; break;
    case '-': stack[sp++] = a - b; break;
    case '*': stack[sp++] = a * b; break;
    case '/':
        if (b == 0)
            return -2;
        stack[sp++] = a / b;
        break;
    case '^': stack[sp++] = pow(a, b); break;
    default:
        return -3;
    }
    return 0;
}

int main(int argc, char **argv)
{
    char *line = NULL;
    size_t cap = 0;
    int failed = 0;
    while (getline(&line, &cap, stdin) != -1) {
        int result = 0, tokens = 0;
        stack_pointer = 0;
        for (char *t = strtok(line, " \t\n"); t && result == 0; t = strtok(NULL, " \t\n")) {
            result = apply(t);
            tokens++;
        }
        if (tokens == 0)
            continue;
        if (result == 0 && sp != 1)
            result = -4;
        if (result == -2)
            printf("error: division by zero\n");
        else if (result < 0)
            printf("error: bad expression\n");
        else
            printf("%.10g\n", stack[0]);
        if (result < 0)
            failed = 1;
    }
    free(line);
    return failed;
}
