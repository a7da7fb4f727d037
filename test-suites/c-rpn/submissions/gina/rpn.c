/* Gina Rossi -- cs101 lab 5: RPN calculator */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define STACK_SIZE 64
#define LINE_SIZE 100000

double stack[STACK_SIZE];
int top = 0;

/* 0 on success, otherwise an error message was printed */
int push(double x)
{
    if (top >= STACK_SIZE) {
        printf("error: stack overflow\n");
        return 1;
    }
    stack[top++] = x;
    return 0;
}

int evaluate(char *line)
{
    top = 0;
    for (char *t = strtok(line, " \t\r\n"); t != NULL; t = strtok(NULL, " \t\r\n")) {
        char *end;
        double x = strtod(t, &end);
        if (end != t && *end == '\0') {
            if (push(x))
                return 1;
            continue;
        }
        if (strcmp(t, "sqrt") == 0) {
            if (top < 1) {
                printf("error: stack underflow\n");
                return 1;
            }
            stack[top - 1] = sqrt(stack[top - 1]);
            continue;
        }
        if (strlen(t) != 1 || strchr("+-*/^", *t) == NULL) {
            printf("error: unknown token '%s'\n", t);
            return 1;
        }
        if (top < 2) {
            printf("error: stack underflow\n");
            return 1;
        }
        double b = stack[--top];
        double a = stack[--top];
        double r = 0;
        switch (*t) {
        case '+': r = a + b; break;
        case '-': r = a - b; break;
        case '*': r = a * b; break;
        case '^': r = pow(a, b); break;
        case '/':
            if (b == 0) {
                printf("error: division by zero\n");
                return 1;
            }
            r = a / b;
            break;
        }
        push(r);
    }
    if (top != 1) {
        printf("error: too many operands\n");
        return 1;
    }
    printf("%.10g\n", stack[0]);
    return 0;
}

int main(void)
{
    static char line[LINE_SIZE];
    int status = 0;
    while (fgets(line, LINE_SIZE, stdin) != NULL) {
        if (strspn(line, " \t\r\n") == strlen(line))
            continue;   /* skip empty lines */
        status |= evaluate(line);
    }
    return status;
}
