//===- X86DotKernels.cpp - VNNI int8 and BF16 dot-product matmul kernels --===//
//
// Part of qopt. qopt-x86-dot-kernels: a lowered matmul whose two operands are
// both decoded from codes (run-time quantized activations x constant
// quantized weights), each as element(code) x scales, is rewritten so the
// products run on the element values in a packed dot-product unit and the
// scales apply once per block:
//
//   C[m, n] = sum_kb  sa[m, kb] * sw[kb, n] * sum_{k in kb} ea[m, k] * ew[k, n]
//
// - integer elements (int8, int4, MXINT8: in [-128, 127] after a power-of-two
//   unit) use AVX512-VNNI `vpdpbusd` (u8 x s8, 4 products per i32 lane): the
//   weights are stored as e + 128 (u8), the activations as s8, and each
//   block's i32 sum starts at -128 * (the activation's block sum), which
//   cancels the offset. Exact integer sums.
// - elements exact in BF16 (FP8, FP6, FP4, small ints) use AVX512-BF16
//   `vdpbf16ps` (x86vector.avx512.dot): products are exact, sums in f32.
// The weights are repacked at compile time into [N / nc, K / g, nc * g]
// (g = 4 bytes or 2 bf16 per lane: each 64-byte row holds 16 columns' group
// of g consecutive k), one contiguous panel per column tile. Column tiles run
// on threads (scf.forall); register blocks are 4 rows x 64 columns (16
// accumulators), or 4 x 32 when K has several blocks, so that the f32 sums
// of the blocks so far stay in registers beside the integer ones. The sums
// along K are split by block only, never by thread, so results do not depend
// on the thread count.
//
// The rewrite changes the order of the f32 operations (scales after the block
// sum instead of per element); the products themselves are exact in both.
//
//===----------------------------------------------------------------------===//
#include "qopt/Pipeline/Pipelines.h"
#include "qopt/Dialect/QOpt/Transforms/DecodeBody.h"
#include "qopt/Dialect/QOpt/Transforms/Tiling.h"
#include "KernelLoops.h"
#include "qopt/Format/FloatFormat.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Pass/Pass.h"
#include "llvm/ADT/bit.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::x86;

namespace {

enum class DotKind { Int8, BF16 };

/// Register block and column tile.
constexpr int64_t kRows = 4;
constexpr int64_t kLanes = 16;

/// The power of two u such that every finite table value is an integer
/// multiple of u with -128 <= v / u <= 127, or nothing.
std::optional<float> integerUnit(ArrayRef<float> table) {
  int minExp = INT32_MAX;
  for (float v : table) {
    if (!std::isfinite(v))
      return std::nullopt;
    if (v == 0)
      continue;
    int e;
    double m = std::frexp(double(v), &e); // v = m * 2^e, 0.5 <= |m| < 1
    // Lowest set bit of the significand: v = odd * 2^low.
    int low = e - 24;
    double scaled = std::ldexp(m, 24);
    int64_t mant = int64_t(scaled);
    if (double(mant) != scaled)
      return std::nullopt;
    while (mant % 2 == 0) {
      mant /= 2;
      ++low;
    }
    minExp = std::min(minExp, low);
  }
  if (minExp == INT32_MAX)
    minExp = 0;
  float unit = std::ldexp(1.0f, minExp);
  for (float v : table)
    if (v / unit > 127 || v / unit < -128)
      return std::nullopt;
  return unit;
}

/// acc + the sums of 4 products u8(w) x s8(a) per i32 lane, as pure vector
/// ops (qopt-x86-intrinsics makes it one vpdpbusd after bufferization).
/// `aWide` is the activation bytes sign-extended to i32.
Value u8s8Dot(OpBuilder &b, Location loc, Value acc, Value w, Value aWide) {
  auto wideType = cast<VectorType>(aWide.getType());
  Value wWide = arith::ExtUIOp::create(b, loc, wideType, w);
  Value prod = arith::MulIOp::create(b, loc, wWide, aWide);
  Value groups = vector::ShapeCastOp::create(
      b, loc, VectorType::get({kLanes, 4}, wideType.getElementType()), prod);
  return vector::MultiDimReductionOp::create(b, loc, groups, acc, ArrayRef<bool>{false, true},
                                             vector::CombiningKind::ADD);
}

struct Plan {
  linalg::GenericOp matmul;
  ScaledDecode act, weight;
  DotKind kind;
  float unitA = 1, unitW = 1;
  SmallVector<float> tableA, tableW;
  int64_t rows, k, n, block;
  /// Weights of <= 4-bit codes, <= kNibbleRows rows (decode): two codes per
  /// byte, turned into the u8 elements in registers by a 16-entry vpshufb.
  bool nibbles = false;
};

/// A weight element's VNNI byte: e / unit (an integer in [-128, 127]) + 128,
/// as u8 (the offset cancelled by the activation's block sums).
uint8_t vnniByte(const Plan &p, float e) {
  return uint8_t(int(std::lround(e / p.unitW)) + 128);
}

/// Up to this many rows the weight stream, not the dot products, bounds a
/// matmul: 4-bit codes are kept packed two per byte.
constexpr int64_t kNibbleRows = 8;

struct DotKernelsPass : PassWrapper<DotKernelsPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(DotKernelsPass)
  DotKernelsPass() = default;
  DotKernelsPass(const DotKernelsPass &other) : PassWrapper(other) {}
  DotKernelsPass(bool vnni, bool bf16, bool nibbles) {
    this->vnni = vnni;
    this->bf16 = bf16;
    this->nibbles = nibbles;
  }
  StringRef getArgument() const final { return "qopt-x86-dot-kernels"; }
  StringRef getDescription() const final {
    return "Matmuls of quantized activations x quantized weights -> AVX512-VNNI vpdpbusd "
           "(integer elements) or AVX512-BF16 vdpbf16ps (BF16-exact elements) kernels, "
           "scales applied once per block";
  }
  Option<bool> vnni{*this, "vnni", llvm::cl::desc("Target has AVX512-VNNI (vpdpbusd)"),
                    llvm::cl::init(true)};
  Option<bool> bf16{*this, "bf16", llvm::cl::desc("Target has AVX512-BF16 (vdpbf16ps)"),
                    llvm::cl::init(true)};
  Option<int64_t> parallelN{*this, "parallel-n",
                            llvm::cl::desc("Preferred column tile run by one thread"),
                            llvm::cl::init(128)};
  Option<bool> nibbles{*this, "nibbles",
                       llvm::cl::desc("Keep <= 4-bit integer weight codes two per byte for "
                                      "matmuls of <= 8 rows (vpshufb decode in registers)"),
                       llvm::cl::init(true)};

  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<LLVM::LLVMDialect, vector::VectorDialect, arith::ArithDialect,
                    scf::SCFDialect, tensor::TensorDialect, x86vector::X86VectorDialect>();
  }

  std::optional<Plan> match(linalg::GenericOp op) {
    std::optional<MatmulForm> form = matchMatmulForm(op);
    if (!form)
      return std::nullopt;
    auto actDecode = op.getDpsInputs()[0].getDefiningOp<linalg::GenericOp>();
    auto wDecode = op.getDpsInputs()[1].getDefiningOp<linalg::GenericOp>();
    if (!actDecode || !wDecode)
      return std::nullopt;
    std::optional<ScaledDecode> act = matchScaledDecode(actDecode);
    std::optional<ScaledDecode> weight = matchScaledDecode(wDecode);
    if (!act || !weight)
      return std::nullopt;
    std::optional<SmallVector<float>> ta = act->element.table(), tw = weight->element.table();
    if (!ta || !tw)
      return std::nullopt;
    Plan p{op, *act, *weight, DotKind::Int8, 1, 1, {}, {}, 0, 0, 0, 0};
    p.k = form->k;
    p.n = form->n;
    p.rows = form->rows;
    p.tableA = *ta;
    p.tableW = *tw;
    std::optional<float> ua = integerUnit(*ta), uw = integerUnit(*tw);
    if (vnni && ua && uw) {
      p.kind = DotKind::Int8;
      p.unitA = *ua;
      p.unitW = *uw;
    } else if (bf16 && bf16Exact(*ta) && bf16Exact(*tw)) {
      p.kind = DotKind::BF16;
    } else {
      return std::nullopt;
    }
    int64_t ba = act->scaleBlock(form->actRank - 1, p.k), bw = weight->scaleBlock(0, p.k);
    if (!ba || !bw)
      return std::nullopt;
    p.block = std::gcd(ba, bw);
    int64_t g = p.kind == DotKind::Int8 ? 4 : 2;
    if (p.block % g || p.n % kLanes || !constantCodes(weight->codes->get()))
      return std::nullopt;
    // Integer sums must fit i32: |sum| <= 128 * 128 * block.
    if (p.kind == DotKind::Int8 && p.block > (int64_t(1) << 17))
      return std::nullopt;
    p.nibbles = nibbles && p.kind == DotKind::Int8 && p.rows <= kNibbleRows && p.block % 8 == 0 &&
                cast<IntegerType>(weight->element.code.getType()).getWidth() <= 4;
    return p;
  }

  void runOnOperation() override {
    std::vector<Plan> plans;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (std::optional<Plan> p = match(op))
        plans.push_back(std::move(*p));
    });
    for (Plan &p : plans)
      rewrite(p);
  }

  /// The weight's element values, repacked [T, K / g, nc * g] (int8 stored
  /// as e + 128; bf16 as bits). With nibbles: the codes, [T, K / 8, nc * 4],
  /// byte (c, i) of k-group pair q holding k = 8q + i in its low nibble and
  /// 8q + 4 + i in its high one.
  Value packWeights(OpBuilder &b, Location loc, const Plan &p, int64_t nc, int64_t g) {
    SmallVector<uint32_t> codes = *constantCodes(p.weight.codes->get());
    int64_t k = p.k, n = p.n, t = n / nc;
    if (p.nibbles) {
      std::vector<char> bytes(size_t(k * n / 2));
      for (int64_t tt = 0; tt < t; ++tt)
        for (int64_t q = 0; q < k / 8; ++q)
          for (int64_t c = 0; c < nc; ++c)
            for (int64_t i = 0; i < 4; ++i) {
              uint32_t lo = codes[size_t((q * 8 + i) * n + tt * nc + c)];
              uint32_t hi = codes[size_t((q * 8 + 4 + i) * n + tt * nc + c)];
              bytes[size_t(((tt * (k / 8) + q) * nc + c) * 4 + i)] = char(lo | (hi << 4));
            }
      return packedConstant(b, loc, RankedTensorType::get({t, k / 8, nc * 4}, b.getI8Type()),
                            "vnni_nibbles", bytes);
    }
    auto at = [&](int64_t kk, int64_t nn) { return p.tableW[codes[size_t(kk * n + nn)]]; };
    const bool int8 = p.kind == DotKind::Int8;
    const int64_t eb = int8 ? 1 : 2; // bytes per element
    std::vector<char> bytes(size_t(k * n * eb));
    for (int64_t tt = 0; tt < t; ++tt)
      for (int64_t kg = 0; kg < k / g; ++kg)
        for (int64_t c = 0; c < nc; ++c)
          for (int64_t i = 0; i < g; ++i) {
            float e = at(kg * g + i, tt * nc + c);
            char *dst = &bytes[size_t((((tt * (k / g) + kg) * nc + c) * g + i) * eb)];
            if (int8) {
              *dst = char(vnniByte(p, e));
            } else {
              uint16_t h = uint16_t(::qopt::format::FloatFormat::bf16().encode(e)); // exact
              std::memcpy(dst, &h, 2);
            }
          }
    Type elt = int8 ? Type(b.getI8Type()) : Type(b.getBF16Type());
    return packedConstant(b, loc, RankedTensorType::get({t, k / g, nc * g}, elt),
                          int8 ? "vnni_weights" : "bf16_weights", bytes);
  }

  /// The weight's block scales times `unit` (a power of two), folded at
  /// compile time into f32 column panels [T, K / block, nc]: a column tile
  /// reads its scales as one stream instead of a row of N per block. Null
  /// unless the scales are a constant [K / block, N] read at (k / block, n).
  Value scalePanels(OpBuilder &b, Location loc, const Plan &p, int64_t nc, float unit) {
    int exp;
    if (std::frexp(unit, &exp) != 0.5f)
      return {};
    std::optional<ScaleTable> t = foldScaleTable(p.weight);
    if (!t || !t->operand)
      return {};
    Value s = t->operand->get();
    auto type = dyn_cast<RankedTensorType>(s.getType());
    if (!type || type.getRank() != 2 || type.getDimSize(0) != p.k / p.block ||
        type.getDimSize(1) != p.n || p.n % nc)
      return {};
    MLIRContext *ctx = b.getContext();
    AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
    if (linalg::GenericOp(p.weight.op).getMatchingIndexingMap(t->operand) !=
        AffineMap::get(2, 0, {d0.floorDiv(p.block), d1}, ctx))
      return {};
    std::optional<std::vector<char>> raw = constantBytes(s);
    Type et = type.getElementType();
    if (!raw || !(et.isF32() || (!t->table.empty() && et.getIntOrFloatBitWidth() == 8)))
      return {};
    // The f32 scales [KB, N] (as ScaleTable defines them) times unit, then panels.
    int64_t kb = p.k / p.block, n = p.n;
    std::vector<char> bytes(size_t(kb * n) * 4);
    for (size_t at = 0; at < size_t(kb * n); ++at) {
      float v;
      if (et.isF32()) {
        std::memcpy(&v, &(*raw)[at * 4], 4);
        v *= t->multiplier;
      } else {
        v = t->table[uint8_t((*raw)[at])];
      }
      v *= unit;
      std::memcpy(&bytes[at * 4], &v, 4);
    }
    return packedConstant(b, loc, RankedTensorType::get({n / nc, kb, nc}, b.getF32Type()),
                          "vnni_scales", toColumnPanels(bytes, kb, n, nc, 4));
  }

  /// The activation's element values (same shape as its codes): s8, or bf16.
  Value activationElements(OpBuilder &b, Location loc, const Plan &p) {
    const ScaledDecode &d = p.act;
    Value codes = d.codes->get();
    auto codeType = cast<RankedTensorType>(codes.getType());
    unsigned rank = codeType.getRank();
    Type elt = p.kind == DotKind::Int8 ? Type(b.getI8Type()) : Type(b.getBF16Type());
    Value init = tensor::EmptyOp::create(b, loc, codeType.getShape(), elt);
    auto id = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
    auto codeIntType = cast<IntegerType>(d.element.code.getType());
    // An integer element equal to the code's two's-complement value needs no
    // arithmetic.
    bool signExtended = p.kind == DotKind::Int8;
    for (size_t c = 0; signExtended && c < p.tableA.size(); ++c)
      signExtended &= p.tableA[c] / p.unitA ==
                      float(APInt(codeIntType.getWidth(), c).getSExtValue());
    auto generic = linalg::GenericOp::create(
        b, loc, init.getType(), ValueRange{codes}, ValueRange{init},
        SmallVector<AffineMap>{id, id},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value code = args[0];
          if (signExtended) {
            Value v = codeIntType.getWidth() == 8
                          ? code
                          : arith::ExtSIOp::create(nb, nl, nb.getI8Type(), code).getResult();
            linalg::YieldOp::create(nb, nl, v);
            return;
          }
          IRMapping map;
          map.map(d.element.code, code);
          for (Operation *op : d.element.ops)
            nb.clone(*op, map);
          Value v = map.lookup(d.element.decoded->getResult(0));
          if (p.kind == DotKind::Int8) {
            if (p.unitA != 1)
              v = arith::MulFOp::create(
                  nb, nl, v, arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(1 / p.unitA)));
            v = arith::FPToSIOp::create(nb, nl, nb.getI32Type(), v);
            v = arith::TruncIOp::create(nb, nl, nb.getI8Type(), v);
          } else {
            v = arith::TruncFOp::create(nb, nl, nb.getBF16Type(), v);
          }
          linalg::YieldOp::create(nb, nl, v);
        });
    return generic.getResult(0);
  }

  void rewrite(Plan &p) {
    linalg::GenericOp op = p.matmul;
    OpBuilder b(op);
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    const int64_t g = p.kind == DotKind::Int8 ? 4 : 2;
    const int64_t k = p.k, n = p.n, rows = p.rows, block = p.block, kb = k / block;
    // Register blocks: 4 rows x 64 columns (16 accumulators) for one block
    // along K; with several, 4 x 32 so that the f32 sums (8) stay in
    // registers beside the integer ones (8). Fewer than 4 rows (decode) run
    // in blocks of 1 or 2 rows (3 = 2 + a 1-row tail), wider by 4 / rows: a
    // k step then reads whole rows of the column panel (not parts of them
    // in several passes, which the measured prefetch handles worst), and
    // the rows of a block share each weight load.
    const int64_t blockRows = int64_t(llvm::bit_floor(uint64_t(std::min(rows, kRows))));
    const int64_t widest = (kb == 1 ? 64 : 32) * (kRows / blockRows);
    // Up to kStreamRows rows the weight stream bounds the time: column tiles
    // no wider than a register block, so a tile's k steps read its panel as
    // one sequential stream, not in strided passes over parts of each row.
    const int64_t nc =
        columnTile(n, rows <= kStreamRows ? std::min<int64_t>(parallelN, widest) : parallelN);
    int64_t nr = widest;
    while (nr > kLanes && nc % nr)
      nr /= 2;
    const int64_t lanes = nr / kLanes;

    Value weights = packWeights(b, loc, p, nc, g);
    Value ea = collapseRows(b, loc, activationElements(b, loc, p));
    unsigned actDim = cast<RankedTensorType>(p.act.op.getResult(0).getType()).getRank() - 1;
    Value sa = collapseRows(b, loc, p.act.buildScales(b, loc, actDim, block, 1.0f));
    Value swPanels = scalePanels(b, loc, p, nc, p.unitA * p.unitW);
    Value sw = swPanels ? swPanels : p.weight.buildScales(b, loc, 0, block, p.unitA * p.unitW);
    Value c0 = collapseRows(b, loc, op.getDpsInits()[0]);
    Type i32 = b.getI32Type(), f32 = b.getF32Type();
    // Int8: -128 x the activation's block sums (the u8 weights' offset).
    Value rowSums;
    if (p.kind == DotKind::Int8) {
      Value zero = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
      Value init = linalg::FillOp::create(
                       b, loc, zero,
                       ValueRange{tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{rows, kb}, i32)})
                       .getResult(0);
      AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
                 d2 = getAffineDimExpr(2, ctx);
      Value blocks = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({rows, kb, block}, b.getI8Type()), ea,
          SmallVector<ReassociationIndices>{{0}, {1, 2}});
      rowSums = linalg::GenericOp::create(
                    b, loc, init.getType(), ValueRange{blocks}, ValueRange{init},
                    SmallVector<AffineMap>{AffineMap::get(3, 0, {d0, d1, d2}, ctx),
                                           AffineMap::get(3, 0, {d0, d1}, ctx)},
                    SmallVector<utils::IteratorType>{utils::IteratorType::parallel,
                                                     utils::IteratorType::parallel,
                                                     utils::IteratorType::reduction},
                    [&](OpBuilder &nb, Location nl, ValueRange args) {
                      Value x = arith::ExtSIOp::create(nb, nl, i32, args[0]);
                      x = arith::MulIOp::create(
                          nb, nl, x, arith::ConstantOp::create(nb, nl, nb.getI32IntegerAttr(-128)));
                      linalg::YieldOp::create(nb, nl,
                                              arith::AddIOp::create(nb, nl, args[1], x).getResult());
                    })
                    .getResult(0);
    }

    auto idx = [&](OpBuilder &bb, int64_t v) { return indexConst(bb, loc, v); };
    Type elt = p.kind == DotKind::Int8 ? Type(b.getI8Type()) : Type(b.getBF16Type());
    auto wideType = VectorType::get({kLanes * g}, elt);
    auto accType = VectorType::get({kLanes}, p.kind == DotKind::Int8 ? Type(i32) : Type(f32));
    auto f32x16 = VectorType::get({kLanes}, f32);
    Value padElt = p.kind == DotKind::Int8
                       ? arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0)).getResult()
                       : arith::ConstantOp::create(b, loc, b.getFloatAttr(b.getBF16Type(), 0.0))
                             .getResult();
    Value padF = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    // Nibbles: code -> u8 element (e / unit + 128) by a gather from a
    // 16-byte table, which qopt-x86-intrinsics makes one vpshufb.
    Value low4, four, lut, allLanes, zeroBytes;
    if (p.nibbles) {
      auto bytesType = VectorType::get({64}, b.getI8Type());
      low4 = arith::ConstantOp::create(b, loc,
                                       DenseElementsAttr::get(bytesType, b.getI8IntegerAttr(15)));
      four = arith::ConstantOp::create(b, loc,
                                       DenseElementsAttr::get(bytesType, b.getI8IntegerAttr(4)));
      zeroBytes = arith::ConstantOp::create(b, loc, b.getZeroAttr(bytesType));
      allLanes = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(VectorType::get({64}, b.getI1Type()), true));
      SmallVector<int8_t> table(16, int8_t(-128));
      for (size_t i = 0; i < 16 && i < p.tableW.size(); ++i)
        table[i] = int8_t(vnniByte(p, p.tableW[i]));
      lut = arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(RankedTensorType::get({16}, b.getI8Type()), ArrayRef<int8_t>(table)));
    }

    // One register block: `mr` rows from m0, nr columns from n0 of the tile
    // (wt: [K/g, nc*g], swt: [KB, nc], cc: [rows, nc]).
    // One register block. The f32 sums of all blocks so far are carried in
    // registers across the blocks (the output tile is read and written once);
    // each block's integer sum starts at -128 * (the activation's block sum),
    // the u8 weights' offset, so it needs no correction afterwards.
    auto buildBlock = [&](OpBuilder &bb, int64_t mr, Value m0, Value n0, Value wt, Value swt,
                          Value cc) -> Value {
      Value one = idx(bb, 1);
      Value zeroF = arith::ConstantOp::create(bb, loc, bb.getZeroAttr(f32x16));
      auto kbLoop = scf::ForOp::create(
          bb, loc, idx(bb, 0), idx(bb, kb), one, SmallVector<Value>(mr * lanes, zeroF),
          [&](OpBuilder &kb_b, Location, Value kbIv, ValueRange sums) {
            SmallVector<Value> inits;
            for (int64_t r = 0; r < mr; ++r) {
              Value init = arith::ConstantOp::create(kb_b, loc, kb_b.getZeroAttr(accType));
              if (rowSums) {
                Value m = arith::AddIOp::create(kb_b, loc, m0, idx(kb_b, r));
                Value rs = tensor::ExtractOp::create(kb_b, loc, rowSums, ValueRange{m, kbIv});
                init = vector::BroadcastOp::create(kb_b, loc, accType, rs);
              }
              inits.append(lanes, init);
            }
            // k-groups per step: two with nibbles (one byte holds both).
            const int64_t steps = p.nibbles ? 2 : 1;
            Value perBlock = idx(kb_b, block / g / steps);
            Value kgLb = arith::MulIOp::create(kb_b, loc, kbIv, perBlock);
            Value kgUb = arith::AddIOp::create(kb_b, loc, kgLb, perBlock);
            auto kLoop = scf::ForOp::create(
                kb_b, loc, kgLb, kgUb, one, inits,
                [&](OpBuilder &kk, Location, Value kq, ValueRange accs) {
                  // ws[s][j]: elements of k-group kq * steps + s, columns n0 + 16j.
                  SmallVector<SmallVector<Value>> ws(steps);
                  for (int64_t j = 0; j < lanes; ++j) {
                    Value col = arith::AddIOp::create(kk, loc, n0, idx(kk, j * kLanes));
                    Value off = arith::MulIOp::create(kk, loc, col, idx(kk, g));
                    Value v = vector::TransferReadOp::create(kk, loc, wideType, wt,
                                                             ValueRange{kq, off}, padElt,
                                                             ArrayRef<bool>{true});
                    if (!p.nibbles) {
                      ws[0].push_back(v);
                      continue;
                    }
                    auto lookup = [&](Value codes) -> Value {
                      Value at = arith::IndexCastUIOp::create(
                          kk, loc, VectorType::get({64}, kk.getIndexType()), codes);
                      return vector::GatherOp::create(kk, loc, wideType, lut,
                                                      ValueRange{idx(kk, 0)}, at, allLanes,
                                                      zeroBytes, IntegerAttr());
                    };
                    ws[0].push_back(lookup(arith::AndIOp::create(kk, loc, v, low4)));
                    ws[1].push_back(lookup(arith::ShRUIOp::create(kk, loc, v, four)));
                  }
                  SmallVector<Value> next(accs.begin(), accs.end());
                  for (int64_t st = 0; st < steps; ++st) {
                    Value kg = kq; // with nibbles: k-group kq * 2 + st
                    if (steps > 1)
                      kg = arith::AddIOp::create(
                          kk, loc, arith::MulIOp::create(kk, loc, kq, idx(kk, steps)), idx(kk, st));
                    Value kOff = arith::MulIOp::create(kk, loc, kg, idx(kk, g));
                    for (int64_t r = 0; r < mr; ++r) {
                      Value m = arith::AddIOp::create(kk, loc, m0, idx(kk, r));
                      Value group = vector::TransferReadOp::create(
                          kk, loc, VectorType::get({g}, elt), ea, ValueRange{m, kOff}, padElt,
                          ArrayRef<bool>{true});
                      Value word = vector::BitCastOp::create(kk, loc, VectorType::get({1}, i32),
                                                             group);
                      Value scalar = vector::ExtractOp::create(kk, loc, word, ArrayRef<int64_t>{0});
                      Value splat = vector::BroadcastOp::create(
                          kk, loc, VectorType::get({kLanes}, i32), scalar);
                      Value a = vector::BitCastOp::create(kk, loc, wideType, splat);
                      Value aWide; // int8: the sign-extended bytes, once per row
                      if (p.kind == DotKind::Int8)
                        aWide = arith::ExtSIOp::create(
                            kk, loc, VectorType::get({kLanes * g}, i32), a);
                      for (int64_t j = 0; j < lanes; ++j) {
                        Value &acc = next[r * lanes + j];
                        if (p.kind == DotKind::Int8)
                          acc = u8s8Dot(kk, loc, acc, ws[st][j], aWide);
                        else
                          acc = x86vector::DotBF16Op::create(kk, loc, acc, ws[st][j], a);
                      }
                    }
                  }
                  scf::YieldOp::create(kk, loc, next);
                });
            // End of the block: sums += float(block sum) * (sa * sw).
            SmallVector<Value> swv;
            for (int64_t j = 0; j < lanes; ++j) {
              Value col = arith::AddIOp::create(kb_b, loc, n0, idx(kb_b, j * kLanes));
              swv.push_back(vector::TransferReadOp::create(kb_b, loc, f32x16, swt,
                                                           ValueRange{kbIv, col}, padF,
                                                           ArrayRef<bool>{true}));
            }
            SmallVector<Value> next;
            for (int64_t r = 0; r < mr; ++r) {
              Value m = arith::AddIOp::create(kb_b, loc, m0, idx(kb_b, r));
              Value s = tensor::ExtractOp::create(kb_b, loc, sa, ValueRange{m, kbIv});
              Value sv = vector::BroadcastOp::create(kb_b, loc, f32x16, s);
              for (int64_t j = 0; j < lanes; ++j) {
                Value sum = kLoop.getResult(r * lanes + j);
                if (rowSums)
                  sum = arith::SIToFPOp::create(kb_b, loc, f32x16, sum);
                Value scale = arith::MulFOp::create(kb_b, loc, sv, swv[j]);
                next.push_back(vector::FMAOp::create(kb_b, loc, sum, scale, sums[r * lanes + j]));
              }
            }
            scf::YieldOp::create(kb_b, loc, next);
          });
      // The output tile: C += sums, once.
      Value c = cc;
      for (int64_t r = 0; r < mr; ++r) {
        Value m = arith::AddIOp::create(bb, loc, m0, idx(bb, r));
        for (int64_t j = 0; j < lanes; ++j) {
          Value col = arith::AddIOp::create(bb, loc, n0, idx(bb, j * kLanes));
          Value old = vector::TransferReadOp::create(bb, loc, f32x16, c, ValueRange{m, col}, padF,
                                                     ArrayRef<bool>{true});
          Value upd = arith::AddFOp::create(bb, loc, old, kbLoop.getResult(r * lanes + j));
          c = vector::TransferWriteOp::create(bb, loc, upd, c, ValueRange{m, col},
                                              ArrayRef<bool>{true})
                  .getResult();
        }
      }
      return c;
    };

    Value result = buildColumnTiles(b, loc, c0, nc, [&](OpBuilder &tb, Value t, Value cc) {
      Value wt = panelSlice(tb, loc, weights, t);
      Value swt = swPanels ? panelSlice(tb, loc, sw, t) : columnSlice(tb, loc, sw, t, nc);
      return buildTileLoops(tb, loc, cc, rows, nc, nr, blockRows,
                            [&](OpBuilder &bb, int64_t mr, Value m0, Value n0, Value c) {
                              return buildBlock(bb, mr, m0, n0, wt, swt, c);
                            });
    });
    // Back to the matmul's result shape.
    result = expandRows(b, loc, result, cast<RankedTensorType>(op.getResult(0).getType()));
    op.getResult(0).replaceAllUsesWith(result);
    Operation *actOp = p.act.op, *wOp = p.weight.op;
    op.erase();
    if (actOp->use_empty())
      actOp->erase();
    if (wOp->use_empty())
      wOp->erase();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::qopt::createX86DotKernelsPass(bool vnni, bool bf16, bool nibbles) {
  return std::make_unique<DotKernelsPass>(vnni, bf16, nibbles);
}
