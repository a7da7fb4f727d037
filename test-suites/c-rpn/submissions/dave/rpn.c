/* Dave Okafor, cs101 lab 5
 * I parse the line by hand with a pointer instead of strtok. */
#define _GNU_SOURCE
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXSTACK 100000

double stack[MAXSTACK];
int n;

int main(int argc, char **argv)
{
    char *line = NULL;
    size_t cap = 0;
    int exit_code = 0;

    /* arguments: glue them together into one line and evaluate that */
    if (argc > 1) {
        size_t total = 1;
        for (int i = 1; i < argc; i++)
            total += strlen(argv[i]) + 1;
        line = malloc(total);
        line[0] = '\0';
        for (int i = 1; i < argc; i++) {
            strcat(line, argv[i]);
            strcat(line, " ");
        }
        strcat(line, "\n");
    }

    while (argc > 1 || getline(&line, &cap, stdin) != -1) {
        const char *error = NULL;
        char *p = line;
        int tokens = 0;
        n = 0;
        while (*p) {
            if (isspace((unsigned char)*p)) {
                p++;
                continue;
            }
            if (error)
                continue;   /* skip the rest of the line after an error */
            tokens++;
            char *end;
            double x = strtod(p, &end);
            if (end != p && (*end == '\0' || isspace((unsigned char)*end))) {
                stack[n++] = x;
                p = end;
            } else if (strncmp(p, "sqrt", 4) == 0) {
                p += 4;
                if (n < 1)
                    error = "stack underflow";
                else
                    stack[n - 1] = sqrt(stack[n - 1]);
            } else if (strchr("+-*/^", *p)) {
                char op = *p++;
                if (n < 2) {
                    error = "stack underflow";
                } else {
                    double b = stack[--n];
                    double a = stack[n - 1];
                    if (op == '+') stack[n - 1] = a + b;
                    if (op == '-') stack[n - 1] = a - b;
                    if (op == '*') stack[n - 1] = a * b;
                    if (op == '^') stack[n - 1] = pow(a, b);
                    if (op == '/') {
                        if (b == 0)
                            error = "division by zero";
                        else
                            stack[n - 1] = a / b;
                    }
                }
            } else {
                error = "unknown token";
            }
        }
        if (tokens > 0) {
            if (!error && n != 1)
                error = "too many operands";
            if (error) {
                printf("error: %s\n", error);
                exit_code = 1;
            } else {
                printf("%.10g\n", stack[0]);
            }
        }
        if (argc > 1)
            break;
    }
    free(line);
    return exit_code;
}
