//===- KernelLoops.cpp - loop skeleton of qopt's generated x86 kernels ----===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#include "KernelLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace mlir::qopt::x86 {

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
  return forall.getResult(0);
}

Value panelSlice(OpBuilder &b, Location loc, Value panels, OpFoldResult t) {
  auto type = cast<RankedTensorType>(panels.getType());
  auto sliceType = RankedTensorType::get({type.getDimSize(1), type.getDimSize(2)},
                                         type.getElementType());
  return tensor::ExtractSliceOp::create(
      b, loc, sliceType, panels, SmallVector<OpFoldResult>{t, b.getIndexAttr(0), b.getIndexAttr(0)},
      SmallVector<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(type.getDimSize(1)),
                                b.getIndexAttr(type.getDimSize(2))},
      SmallVector<OpFoldResult>(3, b.getIndexAttr(1)));
}

} // namespace mlir::qopt::x86
