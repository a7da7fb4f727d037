// Alice Nguyen -- cs101 assignment 6 (matrices)
#include <algorithm>
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

using namespace std;

typedef vector<vector<long long>> Mat;
const long long MOD = 1000000007;

Mat readMat() {
    int r, c;
    cin >> r >> c;
    Mat m(r, vector<long long>(c));
    for (int i = 0; i < r; i++)
        for (int j = 0; j < c; j++)
            cin >> m[i][j];
    return m;
}

void printMat(const Mat& m) {
    cout << m.size() << " " << m[0].size() << "\n";
    for (const auto& row : m) {
        for (size_t j = 0; j < row.size(); j++) {
            if (j > 0) cout << " ";
            cout << row[j];
        }
        cout << "\n";
    }
}

Mat mul(const Mat& a, const Mat& b, bool useMod) {
    int n = a.size(), m = b.size(), p = b[0].size();
    Mat c(n, vector<long long>(p, 0));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < p; j++)
            for (int k = 0; k < m; k++) {
                c[i][j] += a[i][k] * b[k][j];
                if (useMod) c[i][j] %= MOD;
            }
    return c;
}

// gaussian elimination, pick the row with the biggest value as pivot
double det(vector<vector<double>> a) {
    int n = a.size();
    double d = 1;
    for (int i = 0; i < n; i++) {
        int best = i;
        for (int r = i + 1; r < n; r++)
            if (fabs(a[r][i]) > fabs(a[best][i])) best = r;
        if (fabs(a[best][i]) < 1e-12) return 0;
        if (best != i) {
            swap(a[best], a[i]);
            d = -d;   // swapping two rows flips the sign
        }
        d *= a[i][i];
        for (int r = i + 1; r < n; r++) {
            double f = a[r][i] / a[i][i];
            for (int c = i; c < n; c++) a[r][c] -= f * a[i][c];
        }
    }
    return d;
}

int main(int argc, char* argv[]) {
    if (argc < 2) {
        cerr << "usage: ./main transpose|mul|det|power K\n";
        return 1;
    }
    string op = argv[1];
    if (op == "transpose") {
        Mat a = readMat();
        Mat t(a[0].size(), vector<long long>(a.size()));
        for (size_t i = 0; i < a.size(); i++)
            for (size_t j = 0; j < a[0].size(); j++) t[j][i] = a[i][j];
        printMat(t);
    } else if (op == "mul") {
        Mat a = readMat();
        Mat b = readMat();
        if (a[0].size() != b.size()) {
            cerr << "error: cannot multiply " << a.size() << "x" << a[0].size() << " by "
                 << b.size() << "x" << b[0].size() << "\n";
            return 2;
        }
        printMat(mul(a, b, false));
    } else if (op == "det") {
        int r, c;
        cin >> r >> c;
        vector<vector<double>> a(r, vector<double>(c));
        for (auto& row : a)
            for (auto& x : row) cin >> x;
        cout.precision(15);
        cout << det(a) << "\n";
    } else if (op == "power") {
        long long k = stoll(argv[2]);
        Mat a = readMat();
        int n = a.size();
        Mat res(n, vector<long long>(n, 0));
        for (int i = 0; i < n; i++) res[i][i] = 1;
        // fast exponentiation: A^k = (A^2)^(k/2) * A^(k%2)
        while (k > 0) {
            if (k % 2 == 1) res = mul(res, a, true);
            a = mul(a, a, true);
            k /= 2;
        }
        printMat(res);
    } else {
        cerr << "unknown operation\n";
        return 1;
    }
    return 0;
}
