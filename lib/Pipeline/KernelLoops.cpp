//===- KernelLoops.cpp - loop skeleton of qopt's generated x86 kernels ----===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#include "KernelLoops.h"
#include "qopt/Format/FloatFormat.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <cstring>

using namespace mlir;

namespace mlir::qopt::x86 {

std::optional<MatmulForm> matchMatmulForm(linalg::GenericOp op) {
  if (!op->hasAttr("qopt.matmul") || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !op.hasPureTensorSemantics() || !linalg::isaContractionOpInterface(op) ||
      op.getNumReductionLoops() != 1)
    return std::nullopt;
  for (Value v : op->getOperands()) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || !t.hasStaticShape() || !t.getElementType().isF32())
      return std::nullopt;
  }
  // A: (rows..., k), W: (k, n), C: (rows..., n), distinct loop dims.
  AffineMap am = op.getIndexingMapsArray()[0], wm = op.getIndexingMapsArray()[1],
            cm = op.getIndexingMapsArray()[2];
  if (!am.isProjectedPermutation() || !wm.isProjectedPermutation() ||
      !cm.isProjectedPermutation() || wm.getNumResults() != 2 ||
      am.getNumResults() != cm.getNumResults() || am.getNumResults() < 2)
    return std::nullopt;
  unsigned kd = cast<AffineDimExpr>(wm.getResult(0)).getPosition();
  unsigned nd = cast<AffineDimExpr>(wm.getResult(1)).getPosition();
  unsigned r = am.getNumResults();
  if (am.getDimPosition(r - 1) != kd || cm.getDimPosition(r - 1) != nd ||
      op.getIteratorTypesArray()[kd] != utils::IteratorType::reduction)
    return std::nullopt;
  for (unsigned i = 0; i + 1 < r; ++i)
    if (am.getDimPosition(i) != cm.getDimPosition(i))
      return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  MatmulForm f{1, ranges[kd], ranges[nd], r};
  for (unsigned i = 0; i + 1 < r; ++i)
    f.rows *= ranges[am.getDimPosition(i)];
  return f;
}

/// The integer codes of a constant (dense, or an 8-bit dense resource).
std::optional<SmallVector<uint32_t>> constantCodes(Value v) {
  Attribute attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(cast<TypedAttr>(attr).getType());
  auto it = type ? dyn_cast<IntegerType>(type.getElementType()) : nullptr;
  if (!it || it.getWidth() > 8)
    return std::nullopt;
  SmallVector<uint32_t> codes;
  uint32_t mask = (1u << it.getWidth()) - 1;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    for (const APInt &x : dense.getValues<APInt>())
      codes.push_back(uint32_t(x.getZExtValue()) & mask);
    return codes;
  }
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    if (it.getWidth() != 8 || !res.getRawHandle().getBlob())
      return std::nullopt;
    ArrayRef<char> data = res.getRawHandle().getBlob()->getData();
    if (int64_t(data.size()) != type.getNumElements())
      return std::nullopt;
    for (char c : data)
      codes.push_back(uint32_t(uint8_t(c)));
    return codes;
  }
  return std::nullopt;
}

bool bf16Exact(ArrayRef<float> values) {
  const ::qopt::format::FloatFormat &bf = ::qopt::format::FloatFormat::bf16();
  for (float v : values) {
    if (!std::isfinite(v))
      continue;
    if (bf.decode(bf.encode(v)) != v || (v != 0 && std::fabs(v) < 0x1p-126f))
      return false;
  }
  return true;
}

int64_t columnTile(int64_t n, int64_t preferred) {
  for (int64_t t = preferred; t >= 32; t /= 2)
    if (n % t == 0 && t < n)
      return t;
  return n;
}

Value collapseRows(OpBuilder &b, Location loc, Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  if (t.getRank() == 2)
    return v;
  ReassociationIndices rows;
  for (int64_t i = 0; i + 1 < t.getRank(); ++i)
    rows.push_back(i);
  return tensor::CollapseShapeOp::create(
      b, loc, v, SmallVector<ReassociationIndices>{rows, {t.getRank() - 1}});
}

Value expandRows(OpBuilder &b, Location loc, Value v, RankedTensorType type) {
  if (type.getRank() == 2)
    return v;
  ReassociationIndices lead;
  for (int64_t i = 0; i + 1 < type.getRank(); ++i)
    lead.push_back(i);
  return tensor::ExpandShapeOp::create(b, loc, type, v,
                                       SmallVector<ReassociationIndices>{lead, {type.getRank() - 1}});
}

Value indexConst(OpBuilder &b, Location loc, int64_t c) {
  return arith::ConstantIndexOp::create(b, loc, c);
}

Value buildTileLoops(OpBuilder &b, Location loc, Value c, int64_t rows, int64_t nc, int64_t nr,
                     int64_t mr, BlockBuilder block) {
  auto nLoop = scf::ForOp::create(
      b, loc, indexConst(b, loc, 0), indexConst(b, loc, nc), indexConst(b, loc, nr),
      ValueRange{c}, [&](OpBuilder &nb, Location, Value n0, ValueRange nArgs) {
        Value cc = nArgs[0];
        int64_t mainRows = rows / mr * mr;
        auto rowLoop = [&](int64_t lb, int64_t ub, int64_t step) {
          auto loop = scf::ForOp::create(
              nb, loc, indexConst(nb, loc, lb), indexConst(nb, loc, ub),
              indexConst(nb, loc, step), ValueRange{cc},
              [&](OpBuilder &mb, Location, Value m0, ValueRange mArgs) {
                scf::YieldOp::create(mb, loc, block(mb, step, m0, n0, mArgs[0]));
              });
          cc = loop.getResult(0);
        };
        if (mainRows > 0)
          rowLoop(0, mainRows, mr);
        if (mainRows < rows)
          rowLoop(mainRows, rows, 1);
        scf::YieldOp::create(nb, loc, cc);
      });
  return nLoop.getResult(0);
}

Value buildColumnTiles(OpBuilder &b, Location loc, Value c0, int64_t nc, TileBuilder tile) {
  auto type = cast<RankedTensorType>(c0.getType());
  int64_t rows = type.getDimSize(0), n = type.getDimSize(1), tiles = n / nc;
  if (tiles == 1)
    return tile(b, indexConst(b, loc, 0), c0);
  auto forall = scf::ForallOp::create(
      b, loc, SmallVector<OpFoldResult>{b.getIndexAttr(tiles)}, ValueRange{c0}, std::nullopt,
      [&](OpBuilder &fb, Location, ValueRange args) {
        Value t = args[0], shared = args[1];
        Value n0 = arith::MulIOp::create(fb, loc, t, indexConst(fb, loc, nc));
        SmallVector<OpFoldResult> off = {fb.getIndexAttr(0), n0};
        SmallVector<OpFoldResult> sizes = {fb.getIndexAttr(rows), fb.getIndexAttr(nc)};
        SmallVector<OpFoldResult> ones(2, fb.getIndexAttr(1));
        Value cc = tensor::ExtractSliceOp::create(fb, loc, shared, off, sizes, ones);
        Value result = tile(fb, t, cc);
        auto inPar = scf::InParallelOp::create(fb, loc);
        OpBuilder::InsertionGuard guard(fb);
        fb.setInsertionPointToStart(inPar.getBody());
        tensor::ParallelInsertSliceOp::create(fb, loc, result, shared, off, sizes, ones);
      });
  // qopt-fuse fuses the consumers of column loops (epilogues, the next
  // layer's activation quantization) into them.
  forall->setAttr("qopt.columns", b.getUnitAttr());
  return forall.getResult(0);
}

Value columnSlice(OpBuilder &b, Location loc, Value v, Value t, int64_t nc) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getDimSize(1) == nc)
    return v;
  Value off = arith::MulIOp::create(b, loc, t, indexConst(b, loc, nc));
  return tensor::ExtractSliceOp::create(
      b, loc, v, SmallVector<OpFoldResult>{b.getIndexAttr(0), off},
      SmallVector<OpFoldResult>{b.getIndexAttr(type.getDimSize(0)), b.getIndexAttr(nc)},
      SmallVector<OpFoldResult>(2, b.getIndexAttr(1)));
}

Value packedConstant(OpBuilder &b, Location loc, RankedTensorType type, StringRef name,
                     ArrayRef<char> bytes) {
  return arith::ConstantOp::create(
      b, loc,
      DenseResourceElementsAttr::get(type, name,
                                     HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, 64)));
}

std::optional<std::vector<char>> constantBytes(Value v) {
  Attribute attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(cast<TypedAttr>(attr).getType());
  if (!type || !type.hasStaticShape() || !type.getElementType().isIntOrFloat() ||
      type.getElementType().getIntOrFloatBitWidth() % 8)
    return std::nullopt;
  size_t size = size_t(type.getNumElements()) * type.getElementType().getIntOrFloatBitWidth() / 8;
  ArrayRef<char> data;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (dense.isSplat())
      return std::nullopt;
    data = dense.getRawData();
  } else if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    if (!res.getRawHandle().getBlob())
      return std::nullopt;
    data = res.getRawHandle().getBlob()->getData();
  }
  if (data.size() != size)
    return std::nullopt;
  return std::vector<char>(data.begin(), data.end());
}

std::vector<char> toColumnPanels(ArrayRef<char> bytes, int64_t r, int64_t n, int64_t nc,
                                 size_t eb) {
  std::vector<char> packed(bytes.size());
  for (int64_t tt = 0; tt < n / nc; ++tt)
    for (int64_t i = 0; i < r; ++i)
      std::memcpy(&packed[((tt * r + i) * nc) * eb], &bytes[(i * n + tt * nc) * eb], nc * eb);
  return packed;
}

Value panelConstant(OpBuilder &b, Location loc, Value v, int64_t nc, StringRef name) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || type.getRank() != 2 || type.getDimSize(1) % nc)
    return {};
  std::optional<std::vector<char>> bytes = constantBytes(v);
  if (!bytes)
    return {};
  int64_t r = type.getDimSize(0), n = type.getDimSize(1);
  size_t eb = type.getElementType().getIntOrFloatBitWidth() / 8;
  return packedConstant(b, loc, RankedTensorType::get({n / nc, r, nc}, type.getElementType()),
                        name, toColumnPanels(*bytes, r, n, nc, eb));
}

Value panelSlice(OpBuilder &b, Location loc, Value panels, OpFoldResult t) {
  auto type = cast<RankedTensorType>(panels.getType());
  auto sliceType = RankedTensorType::get(type.getShape().drop_front(), type.getElementType());
  SmallVector<OpFoldResult> offsets{t}, sizes{b.getIndexAttr(1)};
  for (int64_t d : sliceType.getShape()) {
    offsets.push_back(b.getIndexAttr(0));
    sizes.push_back(b.getIndexAttr(d));
  }
  return tensor::ExtractSliceOp::create(b, loc, sliceType, panels, offsets, sizes,
                                        SmallVector<OpFoldResult>(type.getRank(), b.getIndexAttr(1)));
}

} // namespace mlir::qopt::x86
