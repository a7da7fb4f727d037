/* carol - rpn.c
 * stack as a linked list so it never runs out of space */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

struct node {
    double value;
    struct node *next;
};

struct node *top = NULL;
int count = 0;

void push(double v)
{
    struct node *n = malloc(sizeof(struct node));
    n->value = v;
    n->next = top;
    top = n;
    count++;
}

double pop(void)
{
    struct node *n = top;
    double v = n->value;
    top = n->next;
    free(n);
    count--;
    return v;
}

void clear(void)
{
    while (top != NULL)
        pop();
}

int main(void)
{
    static char line[100000];
    int status = 0;

    while (fgets(line, sizeof line, stdin) != NULL) {
        int error = 0;
        char *tok = strtok(line, " \t\n");
        if (tok == NULL)
            continue;
        clear();
        while (tok != NULL && !error) {
            char *end;
            double x = strtod(tok, &end);
            if (end != tok && *end == '\0') {
                push(x);
            } else if (strcmp(tok, "sqrt") == 0) {
                push(sqrt(pop()));
            } else if (strcmp(tok, "+") == 0) {
                double b = pop(), a = pop();
                push(a + b);
            } else if (strcmp(tok, "-") == 0) {
                double b = pop(), a = pop();
                push(a - b);
            } else if (strcmp(tok, "*") == 0) {
                double b = pop(), a = pop();
                push(a * b);
            } else if (strcmp(tok, "/") == 0) {
                double b = pop(), a = pop();
                if (b == 0) {
                    printf("error: division by zero\n");
                    error = 1;
                } else {
                    push(a / b);
                }
            } else if (strcmp(tok, "^") == 0) {
                double b = pop(), a = pop();
                push(pow(a, b));
            } else {
                printf("error: unknown token '%s'\n", tok);
                error = 1;
            }
            tok = strtok(NULL, " \t\n");
        }
        if (!error && count != 1) {
            printf("error: too many operands\n");
            error = 1;
        }
        if (error)
            status = 1;
        else
            printf("%.10g\n", top->value);
    }
    return status;
}
