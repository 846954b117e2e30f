//===- KernelLoops.h - loop skeleton of qopt's generated x86 kernels ------===//
//
// Part of qopt. The generated matmul kernels (qopt-x86-dot-kernels,
// qopt-x86-gemv) share one loop structure over an output C [rows, N]:
//   scf.forall over column tiles of nc (threads; one weight panel each)
//     scf.for n0 over the tile by nr columns
//       scf.for m0 over the rows by mr (register blocks), then a 1-row tail
//         <block body: the kernel>
// on tensors, before bufferization. The reduction is never split across
// these loops, so results do not depend on the thread count.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_LIB_PIPELINE_KERNELLOOPS_H
#define QOPT_LIB_PIPELINE_KERNELLOOPS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include <optional>

namespace mlir::linalg {
class GenericOp;
}

#include <vector>

namespace mlir::qopt::x86 {

/// A lowered matmul (tagged qopt.matmul, static f32 tensors) of the form
/// C[rows..., n] += A[rows..., k] * W[k, n].
struct MatmulForm {
  int64_t rows, k, n; ///< rows: the product of A's leading dims
  unsigned actRank;
};
std::optional<MatmulForm> matchMatmulForm(linalg::GenericOp op);

/// The codes of a constant integer tensor of at most 8 bits (dense, or an
/// 8-bit dense resource), zero-extended, row-major.
std::optional<SmallVector<uint32_t>> constantCodes(Value v);

/// The row-major bytes of a constant tensor whose elements are whole bytes
/// (dense and not a splat, or a dense resource), or nothing.
std::optional<std::vector<char>> constantBytes(Value v);

/// Row-major [R, N] elements of `eb` bytes repacked into column panels
/// [N / nc, R, nc] (nc divides N).
std::vector<char> toColumnPanels(ArrayRef<char> bytes, int64_t r, int64_t n, int64_t nc,
                                 size_t eb);

/// A constant [R, N] tensor repacked into column panels [N / nc, R, nc] (a
/// dense resource named `name`): a kernel's column tile then reads its block
/// scales as one contiguous stream instead of one row of N per block. Null
/// when `v` is not a 2-D constant constantBytes can read.
Value panelConstant(OpBuilder &b, Location loc, Value v, int64_t nc, StringRef name);

/// Whether every value is exactly a BF16 (lib/Format's bf16), normal or zero
/// (vdpbf16ps treats BF16 subnormals as zero, and a subnormal f32 would meet
/// a flush-to-zero mode); inf and NaN allowed.
bool bf16Exact(ArrayRef<float> values);

/// The column tile run by one thread: the largest power of two from
/// `preferred` down to 32 that divides n and is smaller than n; else n.
int64_t columnTile(int64_t n, int64_t preferred);

/// [d0, ..., dr-2, dr-1] -> [d0 * ... * dr-2, dr-1] (rank >= 2).
Value collapseRows(OpBuilder &b, Location loc, Value v);
/// The inverse of collapseRows to `type`.
Value expandRows(OpBuilder &b, Location loc, Value v, RankedTensorType type);

/// One register block: rows [m0, m0 + mr) x columns [n0, n0 + nr) of the
/// column tile `c` (a tensor); returns the updated tile.
using BlockBuilder =
    function_ref<Value(OpBuilder &b, int64_t mr, Value m0, Value n0, Value c)>;
/// One column tile: tile index t, C's slice `c` [rows, nc]; returns it updated.
using TileBuilder = function_ref<Value(OpBuilder &b, Value t, Value c)>;

/// The loops over one column tile `c` [rows, nc]: n0 by nr, rows by mr with a
/// 1-row tail.
Value buildTileLoops(OpBuilder &b, Location loc, Value c, int64_t rows, int64_t nc, int64_t nr,
                     int64_t mr, BlockBuilder block);

/// All column tiles of c0 [rows, n], on threads (scf.forall) when there is
/// more than one.
Value buildColumnTiles(OpBuilder &b, Location loc, Value c0, int64_t nc, TileBuilder tile);

/// Columns [t * nc, (t + 1) * nc) of v [rows, N] (v itself when nc == N).
Value columnSlice(OpBuilder &b, Location loc, Value v, Value t, int64_t nc);

/// A constant of `type` holding `bytes` (a 64-byte aligned dense resource
/// named `name`): the kernels' repacked weights.
Value packedConstant(OpBuilder &b, Location loc, RankedTensorType type, StringRef name,
                     ArrayRef<char> bytes);

/// panels[t] of a constant [T, ...] (rank-reduced to [...]).
Value panelSlice(OpBuilder &b, Location loc, Value panels, OpFoldResult t);

/// `c` as an index constant.
Value indexConst(OpBuilder &b, Location loc, int64_t c);

} // namespace mlir::qopt::x86

#endif // QOPT_LIB_PIPELINE_KERNELLOOPS_H
