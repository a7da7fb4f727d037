// cs101 assignment "matrix" -- reference solution.
//
//   ./main transpose     one matrix            -> its transpose
//   ./main mul           two matrices A, B     -> A*B (integers); "error: ..." on stderr and
//                                                 exit status 2 if the sizes do not fit
//   ./main det           one square matrix     -> its determinant (real numbers)
//   ./main power K       one square matrix     -> A^K modulo 1000000007 (0 <= K <= 10^18,
//                                                 entries in [0, 1000000007), A^0 = identity)
//
// A matrix is written "R C" followed by R rows of C numbers. Matrices are printed the same way:
// a line "R C", then each row with its numbers separated by single spaces.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

using Matrix = std::vector<std::vector<long long>>;
using RealMatrix = std::vector<std::vector<double>>;

static const long long MOD = 1000000007LL;

static int fail(const std::string& message, int status) {
  std::cerr << "error: " << message << "\n";
  return status;
}

template <typename T>
static bool read_matrix(std::vector<std::vector<T>>& m) {
  int rows, cols;
  if (!(std::cin >> rows >> cols) || rows <= 0 || cols <= 0) return false;
  m.assign(rows, std::vector<T>(cols));
  for (auto& row : m)
    for (auto& x : row)
      if (!(std::cin >> x)) return false;
  return true;
}

static void print_matrix(const Matrix& m) {
  std::string out = std::to_string(m.size()) + " " + std::to_string(m[0].size()) + "\n";
  for (const auto& row : m) {
    for (size_t j = 0; j < row.size(); ++j) {
      if (j) out += ' ';
      out += std::to_string(row[j]);
    }
    out += '\n';
  }
  std::cout << out;
}

static Matrix multiply(const Matrix& a, const Matrix& b, bool modular) {
  Matrix c(a.size(), std::vector<long long>(b[0].size(), 0));
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t k = 0; k < b.size(); ++k)
      for (size_t j = 0; j < b[0].size(); ++j) {
        if (modular)
          c[i][j] = (c[i][j] + a[i][k] * b[k][j]) % MOD;
        else
          c[i][j] += a[i][k] * b[k][j];
      }
  return c;
}

static double determinant(RealMatrix a) {
  const size_t n = a.size();
  double det = 1.0;
  for (size_t col = 0; col < n; ++col) {
    size_t pivot = col;
    for (size_t r = col + 1; r < n; ++r)
      if (std::abs(a[r][col]) > std::abs(a[pivot][col])) pivot = r;
    if (a[pivot][col] == 0.0) return 0.0;
    if (pivot != col) {
      std::swap(a[pivot], a[col]);
      det = -det;
    }
    det *= a[col][col];
    for (size_t r = col + 1; r < n; ++r) {
      double f = a[r][col] / a[col][col];
      for (size_t c = col; c < n; ++c) a[r][c] -= f * a[col][c];
    }
  }
  return det;
}

int main(int argc, char** argv) {
  if (argc < 2) return fail("usage: ./main transpose|mul|det|power K", 1);
  const std::string op = argv[1];

  if (op == "transpose") {
    Matrix a;
    if (!read_matrix(a)) return fail("bad matrix", 3);
    Matrix t(a[0].size(), std::vector<long long>(a.size()));
    for (size_t i = 0; i < a.size(); ++i)
      for (size_t j = 0; j < a[0].size(); ++j) t[j][i] = a[i][j];
    print_matrix(t);
  } else if (op == "mul") {
    Matrix a, b;
    if (!read_matrix(a) || !read_matrix(b)) return fail("bad matrix", 3);
    if (a[0].size() != b.size()) return fail("dimension mismatch", 2);
    print_matrix(multiply(a, b, false));
  } else if (op == "det") {
    RealMatrix a;
    if (!read_matrix(a)) return fail("bad matrix", 3);
    if (a.size() != a[0].size()) return fail("matrix is not square", 2);
    std::cout.precision(10);
    std::cout << determinant(a) << "\n";
  } else if (op == "power") {
    if (argc < 3) return fail("power needs an exponent", 1);
    long long k;
    try {
      k = std::stoll(argv[2]);
    } catch (const std::exception&) {
      return fail("bad exponent", 1);
    }
    if (k < 0) return fail("negative exponent", 1);
    Matrix a;
    if (!read_matrix(a)) return fail("bad matrix", 3);
    if (a.size() != a[0].size()) return fail("matrix is not square", 2);
    const size_t n = a.size();
    Matrix result(n, std::vector<long long>(n, 0));
    for (size_t i = 0; i < n; ++i) result[i][i] = 1;
    for (auto& row : a)
      for (auto& x : row) x %= MOD;
    while (k > 0) {  // square and multiply
      if (k & 1) result = multiply(result, a, true);
      a = multiply(a, a, true);
      k >>= 1;
    }
    print_matrix(result);
  } else {
    return fail("unknown operation " + op, 1);
  }
  return 0;
}
