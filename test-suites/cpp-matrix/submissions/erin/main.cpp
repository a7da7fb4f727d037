// Erin Walsh -- assignment 6, matrices
#include <iostream>
#include <string>
#include <vector>
#include <algorithm>
using namespace std;

typedef vector<vector<long long>> Matrix;
const long long MOD = 1000000007;

Matrix readMatrix() {
    int r, c;
    cin >> r >> c;
    Matrix m(r, vector<long long>(c));
    for (int i = 0; i < r; i++)
        for (int j = 0; j < c; j++) cin >> m[i][j];
    return m;
}

void printMatrix(const Matrix& m) {
    cout << m.size() << " " << m[0].size() << "\n";
    for (auto& row : m) {
        for (size_t j = 0; j < row.size(); j++) cout << (j ? " " : "") << row[j];
        cout << "\n";
    }
}

int main(int argc, char* argv[]) {
    string op = argc > 1 ? argv[1] : "";
    if (op == "transpose") {
        Matrix a = readMatrix();
        Matrix t(a[0].size(), vector<long long>(a.size()));
        for (size_t i = 0; i < a.size(); i++)
            for (size_t j = 0; j < a[0].size(); j++) t[j][i] = a[i][j];
        printMatrix(t);
    } else if (op == "mul") {
        Matrix a = readMatrix(), b = readMatrix();
        if (a[0].size() != b.size()) {
            cerr << "error: dimension mismatch\n";
            return 2;
        }
        printMatrix(multiply(a, b, false));
    } else if (op == "det") {
        int n, m;
        cin >> n >> m;
        vector<vector<double>> a(n, vector<double>(m));
        for (auto& row : a)
            for (auto& x : row) cin >> x;
        cout.precision(10);
        cout << determinant(a) << "\n";
    } else if (op == "power") {
        long long k = stoll(argv[2]);
        Matrix a = readMatrix();
        Matrix r(a.size(), vector<long long>(a.size(), 0));
        for (size_t i = 0; i < a.size(); i++) r[i][i] = 1;
        while (k > 0) {
            if (k & 1) r = multiply(r, a, true);
            a = multiply(a, a, true);
            k >>= 1;
        }
        printMatrix(r);
    }
    return 0;
}

// helpers

Matrix multiply(const Matrix& a, const Matrix& b, bool mod) {
    Matrix c(a.size(), vector<long long>(b[0].size(), 0));
    for (size_t i = 0; i < a.size(); i++)
        for (size_t k = 0; k < b.size(); k++)
            for (size_t j = 0; j < b[0].size(); j++) {
                c[i][j] += a[i][k] * b[k][j];
                if (mod) c[i][j] %= MOD;
            }
    return c;
}

double determinant(vector<vector<double>> a) {
    int n = a.size();
    double d = 1;
    for (int i = 0; i < n; i++) {
        int p = i;
        for (int r = i + 1; r < n; r++)
            if (abs(a[r][i]) > abs(a[p][i])) p = r;
        if (a[p][i] == 0) return 0;
        if (p != i) {
            swap(a[p], a[i]);
            d = -d;
        }
        d *= a[i][i];
        for (int r = i + 1; r < n; r++) {
            double f = a[r][i] / a[i][i];
            for (int c = i; c < n; c++) a[r][c] -= f * a[i][c];
        }
    }
    return d;
}
