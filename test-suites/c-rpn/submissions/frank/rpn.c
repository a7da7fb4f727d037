/* frank -- rpn calculator, lab 5
   reads token by token with scanf, the char after each token tells me if the line ended */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

double st[20000];
int sp = 0;
int err = 0;

void token(const char *t)
{
    char *end;
    double x;
    if (err)
        return;
    x = strtod(t, &end);
    if (end != t && *end == 0) {
        st[sp++] = x;
    } else if (strcmp(t, "sqrt") == 0) {
        if (sp < 1) { err = 1; return; }
        st[sp - 1] = sqrt(st[sp - 1]);
    } else if (strlen(t) == 1 && strchr("+-*/^", t[0]) != NULL) {
        double a, b;
        if (sp < 2) { err = 1; return; }
        b = st[--sp];
        a = st[--sp];
        if (t[0] == '+') st[sp++] = a + b;
        else if (t[0] == '-') st[sp++] = a - b;
        else if (t[0] == '*') st[sp++] = a * b;
        else if (t[0] == '^') st[sp++] = pow(a, b);
        else if (b == 0) err = 2;
        else st[sp++] = a / b;
    } else {
        err = 3;
    }
}

/* print the answer of one expression and reset for the next; returns 1 on error */
int finish(void)
{
    int bad = 1;
    if (err == 1) printf("error: stack underflow\n");
    else if (err == 2) printf("error: division by zero\n");
    else if (err == 3) printf("error: unknown token\n");
    else if (sp != 1) printf("error: too many operands\n");
    else { printf("%.10g\n", st[0]); bad = 0; }
    sp = 0;
    err = 0;
    return bad;
}

int main(int argc, char *argv[])
{
    char tok[64];
    char after;
    int status = 0;

    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            token(argv[i]);
        return finish();
    }

    while (scanf("%63s%c", tok, &after)) {
        token(tok);
        if (after == '\n') {
            if (finish())
                status = 1;
        }
    }
    return status;
}
