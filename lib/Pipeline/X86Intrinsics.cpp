//===- X86Intrinsics.cpp - vector patterns -> single AVX-512 instructions -===//
//
// Part of qopt. qopt-x86-intrinsics: vector IR whose meaning is exactly one
// AVX-512 instruction that no upstream op lowers to becomes that instruction
// (`llvm.call_intrinsic`):
//  - a vector.gather from a constant table of at most 16 f32 (the table
//    decodes of qopt-vectorize-matmuls) -> `vpermps`, one per 16 lanes;
//  - a vector.gather from a constant table of at most 64 16-bit floats
//    (the 6-bit bfloat16 table decodes of qopt-x86-gemv) -> AVX512BW
//    `vpermi2w`, one per 32 lanes;
//  - a vector.gather from a constant table of at most 16 bytes indexed by
//    bytes (the nibble decodes of qopt-x86-dot-kernels) -> `vpshufb`, one per
//    64 lanes;
//  - the u8 x s8 dot product of qopt-x86-dot-kernels (extui x extsi, groups
//    of 4 summed into an i32 accumulator) -> AVX512-VNNI `vpdpbusd`.
// It runs after bufferization: an intrinsic call has unknown memory effects,
// which the buffer deallocation pipeline rejects; the pure vector forms
// before it are correct on any target.
//
//===----------------------------------------------------------------------===//
#include "qopt/Pipeline/Pipelines.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace {

/// The table of a vector.gather that reads, at offset 0 and in every lane,
/// a constant 1-D table of at most `entries` `elt` values: a constant
/// tensor, or (after bufferization) a constant global's initial value. Null
/// otherwise.
DenseElementsAttr constantTable(vector::GatherOp op, Type elt, int64_t lanesPerChunk,
                                int64_t entries = 16) {
  DenseElementsAttr table;
  auto baseType = dyn_cast<ShapedType>(op.getBase().getType());
  if (!baseType || baseType.getRank() != 1 || baseType.getNumElements() > entries ||
      baseType.getElementType() != elt)
    return {};
  if (auto get = op.getBase().getDefiningOp<memref::GetGlobalOp>()) {
    auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(get, get.getNameAttr());
    if (!global || !global.getConstant() || !global.getInitialValue())
      return {};
    table = dyn_cast<DenseElementsAttr>(*global.getInitialValue());
  } else {
    matchPattern(op.getBase(), m_Constant(&table));
  }
  if (!table)
    return {};
  for (Value o : op.getOffsets())
    if (!isConstantIntValue(getAsOpFoldResult(o), 0))
      return {};
  DenseElementsAttr mask;
  if (!matchPattern(op.getMask(), m_Constant(&mask)) || !mask.isSplat() ||
      !mask.getSplatValue<bool>())
    return {};
  auto resultType = cast<VectorType>(op.getType());
  if (resultType.getNumElements() % lanesPerChunk || resultType.isScalable())
    return {};
  return table;
}

/// `intrinsic(operands)` of `type`.
Value callIntrinsic(PatternRewriter &rewriter, Location loc, Type type, StringRef intrinsic,
                    ValueRange operands) {
  return LLVM::CallIntrinsicOp::create(rewriter, loc, type, rewriter.getStringAttr(intrinsic),
                                       operands)
      .getResult(0);
}

/// Replaces `op` (a table gather of n lanes) by one `look(part)` per `chunk`
/// lanes `part` of `flatIdx` (n lanes in the intrinsic's index type).
void replaceByChunks(PatternRewriter &rewriter, vector::GatherOp op, Value flatIdx, int64_t chunk,
                     function_ref<Value(Value part)> look) {
  Location loc = op.getLoc();
  auto resultType = cast<VectorType>(op.getType());
  Type elt = resultType.getElementType();
  int64_t n = resultType.getNumElements();
  Value acc = arith::ConstantOp::create(rewriter, loc,
                                        rewriter.getZeroAttr(VectorType::get({n}, elt)));
  for (int64_t i = 0; i < n; i += chunk) {
    Value part = vector::ExtractStridedSliceOp::create(rewriter, loc, flatIdx, ArrayRef<int64_t>{i},
                                                       ArrayRef<int64_t>{chunk},
                                                       ArrayRef<int64_t>{1});
    Value looked = look(part);
    assert(looked.getType() == VectorType::get({chunk}, elt) && "a lookup yields one chunk");
    acc = vector::InsertStridedSliceOp::create(rewriter, loc, looked, acc, ArrayRef<int64_t>{i},
                                               ArrayRef<int64_t>{1});
  }
  rewriter.replaceOpWithNewOp<vector::ShapeCastOp>(op, resultType, acc);
}

/// vector.gather from a constant table of at most 16 f32 (a table decode)
/// -> AVX-512 vpermps (`llvm.x86.avx512.permvar.sf.512`), one per 16 lanes:
/// a register permute instead of a memory gather.
struct TableGatherToPermute : OpRewritePattern<vector::GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::GatherOp op, PatternRewriter &rewriter) const override {
    DenseElementsAttr table = constantTable(op, rewriter.getF32Type(), 16);
    if (!table)
      return failure();
    auto resultType = cast<VectorType>(op.getType());
    int64_t n = resultType.getNumElements();
    Location loc = op.getLoc();
    SmallVector<float> values(16, 0.0f);
    llvm::copy(table.getValues<float>(), values.begin());
    Value lut = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(VectorType::get({16}, rewriter.getF32Type()), ArrayRef(values)));
    auto idxType = cast<VectorType>(op.getIndices().getType());
    Value idx = arith::IndexCastOp::create(rewriter, loc,
                                           idxType.clone(rewriter.getI32Type()), op.getIndices());
    idx = vector::ShapeCastOp::create(rewriter, loc, VectorType::get({n}, rewriter.getI32Type()),
                                      idx);
    replaceByChunks(rewriter, op, idx, 16, [&](Value part) {
      return callIntrinsic(rewriter, loc, VectorType::get({16}, rewriter.getF32Type()),
                           "llvm.x86.avx512.permvar.sf.512", {lut, part});
    });
    return success();
  }
};

/// vector.gather from a constant table of at most 64 16-bit floats (f16,
/// bf16) -> AVX512BW vpermi2w (`llvm.x86.avx512.vpermi2var.hi.512`, the
/// table as two registers of 32 words), one per 32 lanes. vpermi2w reads
/// the low 6 bits of each index, so a mask of the indices by 63 (which
/// keeps the IR's gather in bounds) is dropped.
struct WordTableGatherToPermute : OpRewritePattern<vector::GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::GatherOp op, PatternRewriter &rewriter) const override {
    Type elt = cast<VectorType>(op.getType()).getElementType();
    if (!isa<Float16Type, BFloat16Type>(elt))
      return failure();
    DenseElementsAttr table = constantTable(op, elt, 32, 64);
    if (!table)
      return failure();
    Type i16 = rewriter.getI16Type();
    SmallVector<APInt> bits(64, APInt(16, 0));
    for (auto [i, v] : llvm::enumerate(table.getValues<APFloat>()))
      bits[i] = v.bitcastToAPInt();
    Location loc = op.getLoc();
    auto words = VectorType::get({32}, i16);
    auto half = [&](ArrayRef<APInt> part) {
      return arith::ConstantOp::create(rewriter, loc, DenseElementsAttr::get(words, part));
    };
    Value lo = half(ArrayRef(bits).take_front(32)), hi = half(ArrayRef(bits).drop_front(32));
    auto idxType = cast<VectorType>(op.getIndices().getType());
    int64_t n = idxType.getNumElements();
    Value idx;
    auto widen = op.getIndices().getDefiningOp<arith::IndexCastOp>();
    auto masked = widen ? widen.getIn().getDefiningOp<arith::AndIOp>() : nullptr;
    APInt m;
    if (masked && cast<VectorType>(masked.getType()).getElementType() == i16 &&
        matchPattern(masked.getRhs(), m_ConstantInt(&m)) && m == 63)
      idx = masked.getLhs();
    else
      idx = arith::IndexCastOp::create(rewriter, loc, idxType.clone(i16), op.getIndices());
    idx = vector::ShapeCastOp::create(rewriter, loc, VectorType::get({n}, i16), idx);
    replaceByChunks(rewriter, op, idx, 32, [&](Value part) -> Value {
      Value w = callIntrinsic(rewriter, loc, words, "llvm.x86.avx512.vpermi2var.hi.512",
                              {lo, part, hi});
      return vector::BitCastOp::create(rewriter, loc, VectorType::get({32}, elt), w);
    });
    return success();
  }
};

/// vector.gather of bytes from a constant table of at most 16 bytes, indexed
/// by byte values (index_castui of i8 lanes: an in-bounds gather has them in
/// [0, 16)) -> AVX512BW vpshufb (`llvm.x86.avx512.pshuf.b.512`) with the
/// table in each 128-bit lane, one per 64 lanes.
struct ByteTableGatherToShuffle : OpRewritePattern<vector::GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::GatherOp op, PatternRewriter &rewriter) const override {
    Type i8 = rewriter.getI8Type();
    DenseElementsAttr table = constantTable(op, i8, 64);
    auto widen = op.getIndices().getDefiningOp<arith::IndexCastUIOp>();
    if (!table || !widen || widen.getIn().getType() != op.getType())
      return failure();
    auto resultType = cast<VectorType>(op.getType());
    int64_t n = resultType.getNumElements();
    SmallVector<int8_t> values(16, 0);
    llvm::copy(table.getValues<int8_t>(), values.begin());
    SmallVector<int8_t> lanes;
    for (int i = 0; i < 4; ++i)
      lanes.append(values);
    Location loc = op.getLoc();
    Value lut = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(VectorType::get({64}, i8), ArrayRef(lanes)));
    Value idx = vector::ShapeCastOp::create(rewriter, loc, VectorType::get({n}, i8), widen.getIn());
    replaceByChunks(rewriter, op, idx, 64, [&](Value part) {
      return callIntrinsic(rewriter, loc, VectorType::get({64}, i8),
                           "llvm.x86.avx512.pshuf.b.512", {lut, part});
    });
    return success();
  }
};

/// acc + sum_4(extui(u) * extsi(s)) over groups of 4 bytes (a
/// vector.multi_reduction <add> of vector<16x4xi32> along dim 1) ->
/// `vpdpbusd` (llvm.x86.avx512.vpdpbusd.512; the non-saturating form wraps
/// like the i32 adds it replaces).
struct U8S8DotToVpdpbusd : OpRewritePattern<vector::MultiDimReductionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::MultiDimReductionOp op,
                                PatternRewriter &rewriter) const override {
    auto srcType = dyn_cast<VectorType>(op.getSource().getType());
    if (op.getKind() != vector::CombiningKind::ADD || !srcType ||
        srcType.getShape() != ArrayRef<int64_t>{16, 4} || !srcType.getElementType().isInteger(32) ||
        op.getReductionDims() != ArrayRef<int64_t>{1})
      return failure();
    auto cast = op.getSource().getDefiningOp<vector::ShapeCastOp>();
    auto mul = cast ? cast.getSource().getDefiningOp<arith::MulIOp>() : nullptr;
    if (!mul)
      return failure();
    auto u = mul.getLhs().getDefiningOp<arith::ExtUIOp>();
    auto s = mul.getRhs().getDefiningOp<arith::ExtSIOp>();
    auto bytes = VectorType::get({64}, rewriter.getI8Type());
    if (!u || !s || u.getIn().getType() != bytes || s.getIn().getType() != bytes)
      return failure();
    rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
        op, op.getType(), rewriter.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
        ValueRange{op.getAcc(), u.getIn(), s.getIn()});
    return success();
  }
};

struct X86IntrinsicsPass : PassWrapper<X86IntrinsicsPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(X86IntrinsicsPass)
  X86IntrinsicsPass() = default;
  X86IntrinsicsPass(const X86IntrinsicsPass &other) : PassWrapper(other) {}
  X86IntrinsicsPass(bool vnni) { this->vnni = vnni; }
  StringRef getArgument() const final { return "qopt-x86-intrinsics"; }
  StringRef getDescription() const final {
    return "Table-decode gathers from constant 16-entry f32 tables -> AVX-512 vpermps, from "
           "64-entry f16/bf16 tables -> vpermi2w, from 16-byte tables by bytes -> vpshufb; "
           "u8 x s8 dot products in groups of 4 -> AVX512-VNNI vpdpbusd (after bufferization)";
  }
  Option<bool> vnni{*this, "vnni", llvm::cl::desc("Target has AVX512-VNNI (vpdpbusd)"),
                    llvm::cl::init(true)};
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<LLVM::LLVMDialect, vector::VectorDialect, arith::ArithDialect>();
  }
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<TableGatherToPermute, WordTableGatherToPermute, ByteTableGatherToShuffle>(
        &getContext());
    if (vnni)
      patterns.add<U8S8DotToVpdpbusd>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::qopt::createX86IntrinsicsPass(bool vnni) {
  return std::make_unique<X86IntrinsicsPass>(vnni);
}
