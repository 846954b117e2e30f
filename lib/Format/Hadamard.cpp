//===- Hadamard.cpp - block Walsh-Hadamard rotations -----------------------===//
//
// Part of qopt. Pure C++ (no MLIR).
//
//===----------------------------------------------------------------------===//
#include "qopt/Format/Hadamard.h"

#include <cassert>
#include <cmath>

namespace qopt::format {

std::vector<float> hadamardSigns(std::optional<uint64_t> seed, int64_t block) {
  std::vector<float> signs(static_cast<size_t>(block), 1.0f);
  if (!seed)
    return signs;
  uint64_t state = *seed;
  for (int64_t i = 0; i < block; ++i) {
    // splitmix64
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    signs[size_t(i)] = (z >> 63) ? -1.0f : 1.0f;
  }
  return signs;
}

/// FWHT (normalised) of every block; `pre` / `post` signs around it.
static void transformBlocks(float *data, int64_t n, int64_t stride, int64_t block,
                            const std::vector<float> &signs, bool signsFirst) {
  assert(block > 0 && (block & (block - 1)) == 0 && n % block == 0);
  std::vector<double> v(static_cast<size_t>(block));
  double norm = 1.0 / std::sqrt(double(block));
  for (int64_t start = 0; start < n; start += block) {
    for (int64_t i = 0; i < block; ++i)
      v[size_t(i)] = double(data[(start + i) * stride]) * (signsFirst ? signs[size_t(i)] : 1.0f);
    for (int64_t h = 1; h < block; h *= 2)
      for (int64_t i = 0; i < block; i += 2 * h)
        for (int64_t j = i; j < i + h; ++j) {
          double a = v[size_t(j)], b = v[size_t(j + h)];
          v[size_t(j)] = a + b;
          v[size_t(j + h)] = a - b;
        }
    for (int64_t i = 0; i < block; ++i)
      data[(start + i) * stride] =
          float(v[size_t(i)] * norm * (signsFirst ? 1.0f : signs[size_t(i)]));
  }
}

void rotateBlocks(float *data, int64_t n, int64_t stride, int64_t block,
                  const std::vector<float> &signs) {
  transformBlocks(data, n, stride, block, signs, /*signsFirst=*/false);
}

void unrotateBlocks(float *data, int64_t n, int64_t stride, int64_t block,
                    const std::vector<float> &signs) {
  transformBlocks(data, n, stride, block, signs, /*signsFirst=*/true);
}

void unrotateMatrixRows(float *w, int64_t rows, int64_t cols, int64_t block,
                        const std::vector<float> &signs) {
  for (int64_t c = 0; c < cols; ++c)
    unrotateBlocks(w + c, rows, cols, block, signs);
}

void rotateMatrixRows(float *w, int64_t rows, int64_t cols, int64_t block,
                      const std::vector<float> &signs) {
  for (int64_t c = 0; c < cols; ++c)
    rotateBlocks(w + c, rows, cols, block, signs);
}

void rotateMatrixColumns(float *w, int64_t rows, int64_t cols, int64_t block,
                         const std::vector<float> &signs) {
  for (int64_t r = 0; r < rows; ++r)
    rotateBlocks(w + r * cols, cols, 1, block, signs);
}

int64_t largestPowerOfTwoDividing(int64_t k) { return k & -k; }

} // namespace qopt::format
