public final class Fraction {
    private final long num;
    private final long den;

    public Fraction(long num, long den) {
        if (den == 0) throw new ArithmeticException("zero denominator");
        if (den < 0) {
            num = -num;
            den = -den;
        }
        long g = gcd(Math.abs(num), den);
        this.num = num / g;
        this.den = den / g;
    }

    private static long gcd(long a, long b) {
        return b == 0 ? Math.max(a, 1) : gcd(b, a % b);
    }

    public Fraction plus(Fraction o) {
        return new Fraction(num * o.den + o.num * den, den * o.den);
    }

    public Fraction times(Fraction o) {
        return new Fraction(num * o.num, den * o.den);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Fraction f && f.num == num && f.den == den;
    }

    @Override
    public String toString() {
        return num + "/" + den;
    }
}
