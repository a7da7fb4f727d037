// Bob Schmidt - assignment 6
#include <iostream>
#include <string>
#include <vector>
#include <algorithm>
using namespace std;

const long long P = 1000000007LL;

struct Matrix {
    int rows = 0, cols = 0;
    vector<vector<long long>> v;
};

Matrix read() {
    Matrix m;
    cin >> m.rows >> m.cols;
    m.v.assign(m.rows, vector<long long>(m.cols));
    for (int i = 0; i < m.rows; i++)
        for (int j = 0; j < m.cols; j++) cin >> m.v[i][j];
    return m;
}

void print(const Matrix& m) {
    cout << m.rows << " " << m.cols << endl;
    for (int i = 0; i < m.rows; i++) {
        for (int j = 0; j < m.cols; j++) cout << (j ? " " : "") << m.v[i][j];
        cout << endl;
    }
}

Matrix times(const Matrix& a, const Matrix& b, bool mod) {
    Matrix c;
    c.rows = a.rows;
    c.cols = b.cols;
    c.v.assign(c.rows, vector<long long>(c.cols, 0));
    for (int i = 0; i < a.rows; i++)
        for (int k = 0; k < a.cols; k++)
            for (int j = 0; j < b.cols; j++) {
                c.v[i][j] += a.v[i][k] * b.v[k][j];
                if (mod) c.v[i][j] %= P;
            }
    return c;
}

double determinant(vector<vector<double>> a) {
    int n = a.size();
    double result = 1;
    for (int col = 0; col < n; col++) {
        // find a row with a non zero entry in this column
        int r = col;
        while (r < n && a[r][col] == 0) r++;
        if (r == n) return 0;
        swap(a[r], a[col]);
        for (int i = col + 1; i < n; i++) {
            double factor = a[i][col] / a[col][col];
            for (int j = col; j < n; j++) a[i][j] -= factor * a[col][j];
        }
        result *= a[col][col];
    }
    return result;
}

int main(int argc, char** argv) {
    string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "transpose") {
        Matrix a = read();
        Matrix t;
        t.rows = a.cols;
        t.cols = a.rows;
        t.v.assign(t.rows, vector<long long>(t.cols));
        for (int i = 0; i < a.rows; i++)
            for (int j = 0; j < a.cols; j++) t.v[j][i] = a.v[i][j];
        print(t);
    } else if (cmd == "mul") {
        Matrix a = read(), b = read();
        if (a.cols != b.rows) {
            cerr << "error: dimension mismatch" << endl;
            return 2;
        }
        print(times(a, b, false));
    } else if (cmd == "det") {
        int n, m;
        cin >> n >> m;
        vector<vector<double>> a(n, vector<double>(m));
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) cin >> a[i][j];
        cout << determinant(a) << endl;
    } else if (cmd == "power" && argc > 2) {
        long long k = stoll(argv[2]);
        Matrix a = read();
        Matrix r;
        r.rows = r.cols = a.rows;
        r.v.assign(a.rows, vector<long long>(a.rows, 0));
        for (int i = 0; i < a.rows; i++) r.v[i][i] = 1;
        while (k) {
            if (k & 1) r = times(r, a, true);
            a = times(a, a, true);
            k >>= 1;
        }
        print(r);
    } else {
        cerr << "usage: ./main transpose|mul|det|power K" << endl;
        return 1;
    }
    return 0;
}
