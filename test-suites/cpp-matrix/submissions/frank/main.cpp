// frank -- matrix assignment
#include <iostream>
#include <vector>
#include <string>
#include <algorithm>
#include <cmath>
using namespace std;

const long long M = 1000000007;
typedef vector<vector<long long>> mat;

mat input() {
    int r, c;
    cin >> r >> c;
    mat a(r, vector<long long>(c));
    for (int i = 0; i < r; i++)
        for (int j = 0; j < c; j++) cin >> a[i][j];
    return a;
}

void output(mat a) {
    cout << a.size() << " " << a[0].size() << endl;
    for (int i = 0; i < (int)a.size(); i++) {
        for (int j = 0; j < (int)a[i].size(); j++) cout << a[i][j] << " ";
        cout << endl;
    }
}

mat mult(mat a, mat b, bool mod) {
    mat c(a.size(), vector<long long>(b[0].size(), 0));
    for (int i = 0; i < (int)a.size(); i++)
        for (int j = 0; j < (int)b[0].size(); j++)
            for (int k = 0; k < (int)b.size(); k++) {
                c[i][j] += a[i][k] * b[k][j];
                if (mod) c[i][j] %= M;
            }
    return c;
}

int main(int argc, char** argv) {
    string what = argv[1];
    if (what == "transpose") {
        mat a = input();
        mat t(a[0].size(), vector<long long>(a.size()));
        for (int i = 0; i < (int)a.size(); i++)
            for (int j = 0; j < (int)a[0].size(); j++) t[j][i] = a[i][j];
        output(t);
    } else if (what == "mul") {
        mat a = input();
        mat b = input();
        if (a[0].size() != b.size()) {
            cout << "cannot multiply these matrices" << endl;
            return 1;
        }
        output(mult(a, b, false));
    } else if (what == "det") {
        int n, m;
        cin >> n >> m;
        vector<vector<double>> a(n, vector<double>(m));
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) cin >> a[i][j];
        double d = 1;
        for (int i = 0; i < n; i++) {
            int best = i;
            for (int r = i; r < n; r++)
                if (fabs(a[r][i]) > fabs(a[best][i])) best = r;
            if (best != i) {
                swap(a[i], a[best]);
                d *= -1;
            }
            if (a[i][i] == 0) {
                d = 0;
                break;
            }
            for (int r = i + 1; r < n; r++) {
                double f = a[r][i] / a[i][i];
                for (int j = i; j < n; j++) a[r][j] -= f * a[i][j];
            }
            d *= a[i][i];
        }
        cout << d << endl;
    } else if (what == "power") {
        long long k = stoll(argv[2]);
        mat a = input();
        mat r(a.size(), vector<long long>(a.size(), 0));
        for (int i = 0; i < (int)a.size(); i++) r[i][i] = 1;
        while (k > 0) {
            if (k % 2) r = mult(r, a, true);
            a = mult(a, a, true);
            k /= 2;
        }
        output(r);
    }
    return 0;
}
