// Dave Okafor -- cs101 assignment 6
#include <iostream>
#include <string>
#include <vector>
#include <cmath>

using namespace std;

const long long MOD = 1000000007;

vector<vector<long long>> read_matrix() {
    int r, c;
    cin >> r >> c;
    vector<vector<long long>> m(r, vector<long long>(c));
    for (auto &row : m)
        for (auto &x : row) cin >> x;
    return m;
}

void show(const vector<vector<long long>> &m) {
    cout << m.size() << ' ' << m[0].size() << '\n';
    for (auto &row : m) {
        for (size_t j = 0; j < row.size(); j++) cout << row[j] << (j + 1 < row.size() ? " " : "\n");
    }
}

vector<vector<long long>> product(const vector<vector<long long>> &a, const vector<vector<long long>> &b,
                                  bool mod) {
    vector<vector<long long>> c(a.size(), vector<long long>(b[0].size()));
    for (size_t i = 0; i < a.size(); i++)
        for (size_t j = 0; j < b[0].size(); j++) {
            long long s = 0;
            for (size_t k = 0; k < b.size(); k++) {
                s += a[i][k] * b[k][j];
                if (mod) s %= MOD;
            }
            c[i][j] = s;
        }
    return c;
}

int main(int argc, char **argv) {
    if (argc < 2) return 1;
    string op = argv[1];

    if (op == "transpose") {
        auto a = read_matrix();
        vector<vector<long long>> t(a[0].size(), vector<long long>(a.size()));
        for (size_t i = 0; i < a.size(); i++)
            for (size_t j = 0; j < a[i].size(); j++) t[j][i] = a[i][j];
        show(t);
    } else if (op == "mul") {
        auto a = read_matrix();
        auto b = read_matrix();
        if (a[0].size() != b.size()) {
            cerr << "dimension mismatch\n";
            return 2;
        }
        show(product(a, b, false));
    } else if (op == "det") {
        int n, m;
        cin >> n >> m;
        vector<vector<double>> a(n, vector<double>(m));
        for (auto &row : a)
            for (auto &x : row) cin >> x;
        double d = 1;
        for (int i = 0; i < n; i++) {
            int piv = i;
            for (int r = i + 1; r < n; r++)
                if (fabs(a[r][i]) > fabs(a[piv][i])) piv = r;
            if (a[piv][i] == 0) { d = 0; break; }
            if (piv != i) { swap(a[piv], a[i]); d = -d; }
            d *= a[i][i];
            for (int r = i + 1; r < n; r++) {
                double f = a[r][i] / a[i][i];
                for (int c = i; c < n; c++) a[r][c] -= f * a[i][c];
            }
        }
        cout.precision(10);
        cout << d << '\n';
    } else if (op == "power") {
        long long k = stoll(argv[2]);
        auto a = read_matrix();
        size_t n = a.size();
        vector<vector<long long>> res(n, vector<long long>(n, 0));
        for (size_t i = 0; i < n; i++) res[i][i] = 1;
        // multiply k times
        for (long long i = 0; i < k; i++) res = product(res, a, true);
        show(res);
    }
    return 0;
}
