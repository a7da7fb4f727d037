// carol -- matrices
#include <iostream>
#include <vector>
#include <string>
using namespace std;

typedef vector<vector<long long>> matrix;
const long long MOD = 1000000007;

matrix read_matrix() {
    int r, c;
    cin >> r >> c;
    matrix m(r, vector<long long>(c));
    for (int i = 0; i < r; i++)
        for (int j = 0; j < c; j++)
            cin >> m[i][j];
    return m;
}

void print_matrix(matrix m) {
    cout << m.size() << " " << m[0].size() << endl;
    for (int i = 0; i < (int)m.size(); i++) {
        for (int j = 0; j < (int)m[i].size(); j++) {
            if (j != 0) cout << " ";
            cout << m[i][j];
        }
        cout << endl;
    }
}

matrix multiply(matrix a, matrix b, bool mod) {
    matrix c(a.size(), vector<long long>(b[0].size(), 0));
    for (int i = 0; i < (int)a.size(); i++)
        for (int j = 0; j < (int)b[0].size(); j++)
            for (int k = 0; k < (int)b.size(); k++) {
                c[i][j] = c[i][j] + a[i][k] * b[k][j];
                if (mod) c[i][j] = c[i][j] % MOD;
            }
    return c;
}

double det(vector<vector<double>> a) {
    int n = a.size();
    double d = 1;
    for (int i = 0; i < n; i++) {
        int p = i;
        for (int r = i; r < n; r++)
            if (a[r][i] != 0) { p = r; break; }
        if (a[p][i] == 0) return 0;
        if (p != i) { swap(a[p], a[i]); d = -d; }
        for (int r = i + 1; r < n; r++) {
            double f = a[r][i] / a[i][i];
            for (int c = 0; c < n; c++) a[r][c] -= f * a[i][c];
        }
        d *= a[i][i];
    }
    return d;
}

int main(int argc, char *argv[]) {
    string op = argv[1];
    long long k = stoll(argv[2]);   // exponent for power

    if (op == "power") {
        matrix a = read_matrix();
        int n = a.size();
        matrix res(n, vector<long long>(n, 0));
        for (int i = 0; i < n; i++) res[i][i] = 1;
        while (k > 0) {
            if (k % 2 == 1) res = multiply(res, a, true);
            a = multiply(a, a, true);
            k = k / 2;
        }
        print_matrix(res);
    } else if (op == "transpose") {
        matrix a = read_matrix();
        matrix t(a[0].size(), vector<long long>(a.size()));
        for (int i = 0; i < (int)a.size(); i++)
            for (int j = 0; j < (int)a[0].size(); j++)
                t[j][i] = a[i][j];
        print_matrix(t);
    } else if (op == "mul") {
        matrix a = read_matrix();
        matrix b = read_matrix();
        if (a[0].size() != b.size()) {
            cerr << "error: dimension mismatch" << endl;
            return 2;
        }
        print_matrix(multiply(a, b, false));
    } else if (op == "det") {
        int r, c;
        cin >> r >> c;
        vector<vector<double>> a(r, vector<double>(c));
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++)
                cin >> a[i][j];
        cout << det(a) << endl;
    }
    return 0;
}
