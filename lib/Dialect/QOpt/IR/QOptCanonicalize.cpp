//===- QOptCanonicalize.cpp - canonicalization patterns of qopt ops -------===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace mlir::qopt;

Value mlir::qopt::buildDequantizeFromParts(OpBuilder &b, Location loc, Value quantized) {
  auto qType = cast<RankedTensorType>(quantized.getType());
  Value codes = CodesOp::create(b, loc, getCodesType(qType), quantized);
  Value scales = ScalesOp::create(b, loc, getScalesType(qType), quantized);
  Value zps, ts;
  if (RankedTensorType t = getZeroPointsType(qType))
    zps = ZeroPointsOp::create(b, loc, t, quantized);
  if (RankedTensorType t = getTensorScaleType(qType))
    ts = TensorScaleOp::create(b, loc, t, quantized);
  Value parts = AssembleOp::create(b, loc, qType, codes, scales, zps, ts);
  return DequantizeOp::create(b, loc, RankedTensorType::get(qType.getShape(), b.getF32Type()),
                              parts);
}

namespace {

/// matmul(dequantize(q), ...) -> matmul(q, ...) when the decoded operand is
/// f32 and q's format can be a matmul operand there (scales along K or the
/// non-K axis): a QDQ or MatMulNBits weight then reaches the matmul in its
/// format, the same op qopt-quantize builds. Decoding in f32 either way, the
/// numbers do not change.
struct FoldDequantizeIntoMatmul : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op, PatternRewriter &rewriter) const override {
    auto source = [](Value v) -> Value {
      auto d = v.getDefiningOp<DequantizeOp>();
      if (!d || !cast<RankedTensorType>(d.getType()).getElementType().isF32())
        return Value();
      return d.getInput();
    };
    Value lhs = source(op.getLhs()), rhs = source(op.getRhs());
    if (!lhs && !rhs)
      return failure();
    // Try both operands, then each alone; keep the first combination the
    // matmul verifier accepts.
    SmallVector<std::pair<Value, Value>> tries;
    if (lhs && rhs)
      tries.push_back({lhs, rhs});
    if (rhs)
      tries.push_back({op.getLhs(), rhs});
    if (lhs)
      tries.push_back({lhs, op.getRhs()});
    for (auto [l, r] : tries) {
      auto candidate = MatmulOp::create(rewriter, op.getLoc(), op.getType(), l, r,
                                        op.getAccumulateAttr());
      LogicalResult ok = success();
      {
        ScopedDiagnosticHandler quiet(op.getContext(), [](Diagnostic &) { return success(); });
        ok = candidate.verify();
      }
      if (succeeded(ok)) {
        rewriter.replaceOp(op, candidate.getResult());
        return success();
      }
      rewriter.eraseOp(candidate);
    }
    return failure();
  }
};

} // namespace

void MatmulOp::getCanonicalizationPatterns(RewritePatternSet &results, MLIRContext *context) {
  results.add<FoldDequantizeIntoMatmul>(context);
}
