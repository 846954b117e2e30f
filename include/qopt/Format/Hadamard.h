//===- Hadamard.h - block Walsh-Hadamard rotations --------------*- C++ -*-===//
//
// Part of qopt. Pure C++ (no MLIR). The rotation of FORMATS.md "Block
// Hadamard rotation": R = diag(H_b D, ..., H_b D) with H_b the normalised
// Walsh-Hadamard matrix (Sylvester order, H_1 = [1], H_2b = [[H, H], [H, -H]]
// / sqrt 2) and D = diag(signs) from a seed. x R rotates a row vector; the
// weight side R^T W = D H_b W rotates the columns of W along K. Both are
// "FWHT, then multiply by the signs" applied to a block of b values.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_FORMAT_HADAMARD_H
#define QOPT_FORMAT_HADAMARD_H

#include <cstdint>
#include <optional>
#include <vector>

namespace qopt::format {

/// The b random signs (+1/-1) of a seed: bit 63 of the i-th output of
/// splitmix64 started at `seed` (i = 0..b-1) set means -1. No seed: all +1.
std::vector<float> hadamardSigns(std::optional<uint64_t> seed, int64_t block);

/// Applies H_b D (normalised FWHT, then the signs) in place to every block
/// of `block` values of a strided vector: v[offset + i * stride], i < n,
/// n a multiple of block (computed in double, rounded to float once).
void rotateBlocks(float *data, int64_t n, int64_t stride, int64_t block,
                  const std::vector<float> &signs);

/// The inverse of rotateBlocks: (H_b D)^-1 = D H_b (signs first, then the
/// normalised FWHT).
void unrotateBlocks(float *data, int64_t n, int64_t stride, int64_t block,
                    const std::vector<float> &signs);
/// The inverse of rotateMatrixRows: W from R^T W.
void unrotateMatrixRows(float *w, int64_t rows, int64_t cols, int64_t block,
                        const std::vector<float> &signs);

/// W [rows x cols] row-major. Rows: R^T W with K = rows (each column
/// rotated along K). Columns: W R (each row rotated along its columns).
void rotateMatrixRows(float *w, int64_t rows, int64_t cols, int64_t block,
                      const std::vector<float> &signs);
void rotateMatrixColumns(float *w, int64_t rows, int64_t cols, int64_t block,
                         const std::vector<float> &signs);

/// The largest power of two that divides k (the "global" block of a K that
/// is not a power of two).
int64_t largestPowerOfTwoDividing(int64_t k);

} // namespace qopt::format

#endif // QOPT_FORMAT_HADAMARD_H
