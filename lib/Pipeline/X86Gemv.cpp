//===- X86Gemv.cpp - few-row matmuls of constant quantized weights ------===//
//
// Part of qopt. qopt-x86-gemv: a lowered matmul of at most 8 rows (LLM
// decode) whose float activation meets constant weights of at most 8 bits
// (INT4/INT8, FP4/FP6/FP8, NF4, MX, NVFP4, any codebook) is rewritten into a
// kernel that streams the codes and applies the block scales once per block:
//
//   C[m, n] = sum_kb sw[kb, n] * sum_{k in kb} a[m, k] * elem(code[k, n])
//
// - elem is the weight decode's element half (DecodeBody: lib/Format's
//   codec, as emitted). Codes of at most 4 bits are repacked [N / nc, K / 2,
//   nc] (k = 2kk in the low nibble, 2kk + 1 in the high one): one 16-byte
//   load and zero-extension gives 16 columns of two rows, `and 15` and
//   `shift 4` select them, and each decodes by a 16-entry table gather that
//   qopt-x86-intrinsics makes one `vpermps`. 6-bit codes whose 64 values
//   are exact bfloat16s (FP6 E2M3/E3M2, INT6) go four per three bytes, each
//   tile row a dense bit stream: 32 columns are one 32-byte load, a byte
//   shuffle (vpermb) that gives each 16-bit lane the two bytes holding its
//   code, a per-lane shift (vpsrlvw), a 64-entry bfloat16 table gather
//   (qopt-x86-intrinsics: one `vpermi2w`), and a shift and a mask that make
//   the dword lanes' halves f32. Other codes go one per byte ([N / nc, K,
//   nc]) and decode by the element ops rebuilt on vectors.
// - the block scales are read in their stored format in the block epilogue
//   (f32, or 8-bit scale codes through a 256-entry table folded at compile
//   time: foldScaleTable), once per block and 16 columns.
// Register blocks are up to 4 rows x 64 columns; column tiles of 64 (one
// contiguous byte panel each) run on threads; the reduction is split by
// block only (results do not depend on the thread count). The summation
// differs from the per-element decode (block sums, then scaled): float
// round-off only.
//
//===----------------------------------------------------------------------===//
#include "qopt/Pipeline/Pipelines.h"
#include "qopt/Dialect/QOpt/Transforms/DecodeBody.h"
#include "KernelLoops.h"
#include "qopt/Format/FloatFormat.h"
#include "qopt/Format/Packing.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Pass/Pass.h"

#include "llvm/ADT/APFloat.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::x86;

namespace {

constexpr int64_t kLanes = 16;
constexpr int64_t kMaxRows = 8;
constexpr int64_t kRows = 4;

struct GemvPass : PassWrapper<GemvPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(GemvPass)
  GemvPass() = default;
  GemvPass(const GemvPass &other) : PassWrapper(other) {}
  StringRef getArgument() const final { return "qopt-x86-gemv"; }
  StringRef getDescription() const final {
    return "Matmuls of at most 8 rows x constant weights of <= 8-bit codes -> kernels streaming "
           "the codes (two per byte with 16-entry table decodes up to 4 bits), block scales once "
           "per block";
  }
  Option<int64_t> parallelN{*this, "parallel-n",
                            llvm::cl::desc("Preferred column tile run by one thread"),
                            llvm::cl::init(64)};

  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<vector::VectorDialect, arith::ArithDialect, scf::SCFDialect,
                    tensor::TensorDialect, affine::AffineDialect>();
  }

  struct Plan {
    linalg::GenericOp matmul;
    ScaledDecode weight;
    SmallVector<float> table;
    MatmulForm form;
    int64_t block;
    bool nibbles;
    /// 6-bit codes packed four per three bytes are decoded by this table of
    /// 64 bfloat16s (empty otherwise).
    SmallVector<APFloat> bf16Table;
    bool sextets() const { return !bf16Table.empty(); }
    /// 8-bit minifloat codes that are IEEE half bit patterns (sign at bit
    /// 15, the rest shifted left by halfShift) times 2^halfExp, for every
    /// code the weights use; halfShift < 0 otherwise.
    int halfShift = -1, halfExp = 0;
  };

  std::optional<Plan> match(linalg::GenericOp op) {
    std::optional<MatmulForm> form = matchMatmulForm(op);
    if (!form || form->rows > kMaxRows || form->n % kLanes || form->k % 2)
      return std::nullopt;
    auto wDecode = op.getDpsInputs()[1].getDefiningOp<linalg::GenericOp>();
    std::optional<ScaledDecode> weight = wDecode ? matchScaledDecode(wDecode) : std::nullopt;
    if (!weight || !constantCodes(weight->codes->get()))
      return std::nullopt;
    // Codes of at most 4 bits decode by a table (and go two per byte);
    // wider ones by the element ops themselves, vectorized.
    bool nibbles = cast<IntegerType>(weight->element.code.getType()).getWidth() <= 4;
    std::optional<SmallVector<float>> table = weight->element.table();
    int64_t block = weight->scaleBlock(0, form->k);
    if (!table || !block || (nibbles && block % 2))
      return std::nullopt;
    bool sextets = cast<IntegerType>(weight->element.code.getType()).getWidth() == 6 &&
                   form->n % 32 == 0 && bf16Exact(*table);
    if (!nibbles && !sextets && !llvm::all_of(weight->element.ops, [](Operation *op) {
          return op->hasTrait<OpTrait::Elementwise>() && op->getNumResults() == 1;
        }))
      return std::nullopt;
    Plan p{op, *weight, *table, *form, block, nibbles, {}};
    if (sextets) {
      for (float v : *table) { // exact: bf16Exact
        APFloat h(v);
        bool lost;
        h.convert(APFloat::BFloat(), APFloat::rmNearestTiesToEven, &lost);
        p.bf16Table.push_back(h);
      }
    } else if (!nibbles) {
      findHalfRoute(p);
    }
    return p;
  }

  /// The column a 16-bit lane of a sextet decode holds: the even lane 2i
  /// holds column i and the odd lane 2i + 1 column 16 + i of the 32, so
  /// that the dword lanes' low and high halves are two vectors of 16
  /// consecutive columns.
  static int64_t sextetColumn(int64_t lane) { return lane % 2 ? 16 + lane / 2 : lane / 2; }

  /// 32 codes of a dense 6-bit stream (column c at bits [6c, 6c + 6) of the
  /// 32 bytes from `offset` of the 1-D panel `ct`; the last 8 bytes only
  /// fill high bits the mask drops) decoded by the 64-entry bfloat16 `table`,
  /// as two f32 vectors of 16 columns. A bfloat16 is the high half of its
  /// f32, so the conversion is a shift (even lanes) and a mask (odd lanes).
  static std::pair<Value, Value> decodeSextets(OpBuilder &b, Location loc, Value table, Value ct,
                                               Value offset) {
    Type i8 = b.getI8Type(), i16 = b.getI16Type(), i32 = b.getI32Type(), f32 = b.getF32Type();
    auto vec = [](int64_t n, Type t) { return VectorType::get({n}, t); };
    Value bytes = vector::TransferReadOp::create(
        b, loc, vec(32, i8), ct, ValueRange{offset},
        arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0)).getResult(), ArrayRef<bool>{true});
    // Lane w of 16 bits gets the bytes [6c / 8, 6c / 8 + 1] of its column
    // c, shifted right by 6c % 8.
    SmallVector<int64_t> pick;
    SmallVector<int16_t> shifts;
    for (int64_t w = 0; w < 32; ++w) {
      int64_t bit = 6 * sextetColumn(w);
      pick.push_back(bit / 8);
      pick.push_back(bit / 8 + 1);
      shifts.push_back(int16_t(bit % 8));
    }
    Value pairs = vector::ShuffleOp::create(b, loc, bytes, bytes, pick);
    Value words = vector::BitCastOp::create(b, loc, vec(32, i16), pairs);
    Value shifted = arith::ShRUIOp::create(
        b, loc, words,
        arith::ConstantOp::create(b, loc, DenseElementsAttr::get(vec(32, i16), ArrayRef(shifts))));
    Value codes = arith::AndIOp::create(
        b, loc, shifted,
        arith::ConstantOp::create(b, loc, DenseElementsAttr::get(vec(32, i16), int16_t(63))));
    Value ix = arith::IndexCastOp::create(b, loc, vec(32, b.getIndexType()), codes);
    Value mask = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vec(32, b.getI1Type()), true));
    Type bf16 = b.getBF16Type();
    Value values = vector::GatherOp::create(
        b, loc, vec(32, bf16), table, ValueRange{indexConst(b, loc, 0)}, ix, mask,
        arith::ConstantOp::create(b, loc, b.getZeroAttr(vec(32, bf16))));
    Value pairsOfValues = vector::BitCastOp::create(b, loc, vec(16, i32), values);
    auto splat = [&](int32_t v) {
      return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(vec(16, i32), v));
    };
    Value even = arith::ShLIOp::create(b, loc, pairsOfValues, splat(16));
    Value odd = arith::AndIOp::create(b, loc, pairsOfValues, splat(int32_t(0xFFFF0000u)));
    return {arith::BitcastOp::create(b, loc, vec(16, f32), even),
            arith::BitcastOp::create(b, loc, vec(16, f32), odd)};
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

  /// Whether the folded scale operand is indexed (g(k)..., n): contiguous
  /// along the columns, every other index a function of k alone.
  static bool stridedScaleMap(const ScaledDecode &d, const ScaleTable &t) {
    if (!t.operand)
      return true; // one scale for the tensor
    linalg::GenericOp dop = d.op;
    AffineMap map = dop.getMatchingIndexingMap(t.operand);
    if (map.getNumResults() == 0 || map.getResults().back() != getAffineDimExpr(1, map.getContext()))
      return false;
    for (AffineExpr e : map.getResults().drop_back())
      if (e.isFunctionOfDim(1))
        return false;
    Type et = dop.getMatchingBlockArgument(t.operand).getType();
    return et.isF32() || et.getIntOrFloatBitWidth() == 8;
  }

  /// The 16 scales of block `kb` at columns [col, col + 16), read in their
  /// stored format.
  Value storedScales(OpBuilder &b, Location loc, const ScaleTable &t, Value table, Value scales,
                     Value kbIv, Value col) const {
    // The half route's element factor (see decodeHalf) joins the scales.
    float factor = current->halfShift >= 0 ? std::ldexp(1.0f, current->halfExp) : 1.0f;
    auto f32x16 = VectorType::get({kLanes}, b.getF32Type());
    if (!t.operand)
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(f32x16, t.multiplier * factor));
    Value s = blockScales(b, loc, t, table, scales, kbIv, col);
    if (factor == 1.0f)
      return s;
    return arith::MulFOp::create(
        b, loc, s, arith::ConstantOp::create(b, loc, DenseElementsAttr::get(f32x16, factor)));
  }

  /// storedScales for scales read from memory.
  Value blockScales(OpBuilder &b, Location loc, const ScaleTable &t, Value table, Value scales,
                    Value kbIv, Value col) const {
    const ScaledDecode &d = current->weight;
    linalg::GenericOp dop = d.op;
    AffineMap map = dop.getMatchingIndexingMap(t.operand);
    MLIRContext *ctx = b.getContext();
    Value k = arith::MulIOp::create(b, loc, kbIv, indexConst(b, loc, current->block));
    SmallVector<Value> indices;
    for (AffineExpr e : map.getResults().drop_back())
      indices.push_back(affine::AffineApplyOp::create(b, loc, AffineMap::get(2, 0, e, ctx),
                                                      ValueRange{k, col}));
    indices.push_back(col);
    Type et = dop.getMatchingBlockArgument(t.operand).getType();
    auto f32x16 = VectorType::get({kLanes}, b.getF32Type());
    Value raw = vector::TransferReadOp::create(
        b, loc, VectorType::get({kLanes}, et), scales, indices,
        arith::ConstantOp::create(b, loc, b.getZeroAttr(et)).getResult(), ArrayRef<bool>{true});
    if (t.table.empty()) {
      if (t.multiplier == 1.0f)
        return raw;
      Value m = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(f32x16, t.multiplier));
      return arith::MulFOp::create(b, loc, raw, m);
    }
    auto i8x16 = VectorType::get({kLanes}, b.getI8Type());
    Value bytes = et.isInteger(8) ? raw : vector::BitCastOp::create(b, loc, i8x16, raw).getResult();
    if (scaleRoute.kind == ScaleRoute::Half)
      return halfToF32(b, loc, bytes, scaleRoute.shift, scaleRoute.factor);
    if (scaleRoute.kind == ScaleRoute::Exponent) {
      auto i32x16 = VectorType::get({kLanes}, b.getI32Type());
      Value e = arith::ShLIOp::create(
          b, loc, arith::ExtUIOp::create(b, loc, i32x16, bytes),
          arith::ConstantOp::create(b, loc, DenseElementsAttr::get(i32x16, int32_t(23))));
      Value f = arith::BitcastOp::create(b, loc, f32x16, e);
      if (scaleRoute.factor == 1.0f)
        return f;
      return arith::MulFOp::create(
          b, loc, f,
          arith::ConstantOp::create(b, loc, DenseElementsAttr::get(f32x16, scaleRoute.factor)));
    }
    return tableLookup(b, loc, table,
                       arith::ExtUIOp::create(b, loc, VectorType::get({kLanes}, b.getI32Type()),
                                              bytes));
  }

  /// table[codes] for 16 i32 codes: a vector.gather from a constant f32 table
  /// (qopt-x86-intrinsics makes 16-entry ones a vpermps).
  static Value tableLookup(OpBuilder &b, Location loc, Value table, Value codes) {
    auto f32x16 = VectorType::get({kLanes}, b.getF32Type());
    Value ix = arith::IndexCastOp::create(b, loc, VectorType::get({kLanes}, b.getIndexType()),
                                          codes);
    Value mask = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(VectorType::get({kLanes}, b.getI1Type()), true));
    return vector::GatherOp::create(b, loc, f32x16, table, ValueRange{indexConst(b, loc, 0)}, ix,
                                    mask, arith::ConstantOp::create(b, loc, b.getZeroAttr(f32x16)));
  }

  const Plan *current = nullptr;

  /// FP8 and other 8-bit minifloats: if each code c, read as the half
  /// (c & 0x80) << 8 | (c & 0x7f) << s, times 2^e, is its decoded value
  /// (E5M2: s = 8, e = 0; E4M3: s = 7, e = 8), the kernel decodes with a
  /// shift and one vcvtph2ps instead of the codec's ops. Checked per code
  /// against the decode table, so lib/Format stays the only definition.
  static void findHalfRoute(Plan &p) {
    if (cast<IntegerType>(p.weight.element.code.getType()).getWidth() != 8)
      return;
    // Every code whose decoded value is finite must match (a property of the
    // format, not of the weights); codes decoding to NaN or Inf are checked
    // only if the weights use them.
    SmallVector<uint32_t> codes = *constantCodes(p.weight.codes->get());
    llvm::SmallDenseSet<uint32_t, 256> used(codes.begin(), codes.end());
    for (uint32_t c = 0; c < 256; ++c)
      if (std::isfinite(p.table[c]))
        used.insert(c);
    auto half = halfValue;
    for (int shift = 1; shift <= 8; ++shift) {
      // The exponent from the largest code's ratio, then every code checked.
      std::optional<int> exp;
      bool ok = true;
      for (uint32_t c : used) {
        uint32_t bits = ((c & 0x80u) << 8) | ((c & 0x7Fu) << shift);
        if (bits & ~0xFFFFu) {
          ok = false;
          break;
        }
        float h = half(bits), want = p.table[c];
        if (!std::isfinite(h) || !std::isfinite(want)) {
          ok = false;
          break;
        }
        if (!exp && h != 0 && want != 0) {
          int eh, ew;
          std::frexp(h, &eh);
          std::frexp(want, &ew);
          exp = ew - eh;
        }
      }
      if (!ok)
        continue;
      int e = exp.value_or(0);
      for (uint32_t c : used) {
        uint32_t bits = ((c & 0x80u) << 8) | ((c & 0x7Fu) << shift);
        float v = std::ldexp(half(bits), e);
        if (v != p.table[c] || std::signbit(v) != std::signbit(p.table[c])) {
          ok = false;
          break;
        }
      }
      if (ok) {
        p.halfShift = shift;
        p.halfExp = e;
        return;
      }
    }
  }

  /// 16 bytes read as half bit patterns ((c & 0x80) << 8 | (c & 0x7f) << shift)
  /// and converted to f32 (vcvtph2ps), times `factor`.
  static Value halfToF32(OpBuilder &b, Location loc, Value bytes, int shift, float factor) {
    auto vec = [](Type t) { return VectorType::get({kLanes}, t); };
    Type i16 = b.getI16Type();
    auto splat = [&](int v) {
      return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(vec(i16), int16_t(v)));
    };
    // Sign-extended to 16 bits and shifted left by `shift` (<= 8), the code
    // has its sign at bit 15, its low 7 bits at [shift, shift + 7) and sign
    // copies in between, which the mask clears: vpmovsxbw, vpsllw, vpand.
    assert(shift >= 1 && shift <= 8 && "half route shifts are 1..8");
    Value w = arith::ExtSIOp::create(b, loc, vec(i16), bytes);
    Value shifted = arith::ShLIOp::create(b, loc, w, splat(shift));
    Value bits = shift == 8 ? shifted
                            : arith::AndIOp::create(b, loc, shifted, splat(0x8000 | (0x7F << shift)))
                                  .getResult();
    Value h = arith::BitcastOp::create(b, loc, vec(b.getF16Type()), bits);
    Value f = arith::ExtFOp::create(b, loc, vec(b.getF32Type()), h);
    if (factor == 1.0f)
      return f;
    return arith::MulFOp::create(
        b, loc, f,
        arith::ConstantOp::create(b, loc, DenseElementsAttr::get(vec(b.getF32Type()), factor)));
  }

  /// 16 codes decoded through the half route (see findHalfRoute), without
  /// the factor 2^halfExp: storedScales applies it once per block. Scaling
  /// by a power of two commutes with every rounding of the sums (barring
  /// overflow and the subnormal range), so the result is the same.
  static Value decodeHalf(OpBuilder &b, Location loc, const Plan &p, Value bytes) {
    return halfToF32(b, loc, bytes, p.halfShift, 1.0f);
  }

  static float halfValue(uint32_t bits) {
    return float(::qopt::format::FloatFormat::f16().decode(bits));
  }

  /// How 8-bit scale codes become f32 in the epilogue: a gather from the
  /// folded table, or, when the table entry of every code the weights use is
  /// a bit-field move times one factor, that move: E8M0 as `c << 23`
  /// (shift 23), E4M3 as a half pattern (shift 7, vcvtph2ps).
  struct ScaleRoute {
    enum Kind { Gather, Exponent, Half } kind = Gather;
    int shift = 0;
    float factor = 1.0f;
  };
  static ScaleRoute chooseScaleRoute(const ScaleTable &t) {
    ScaleRoute none;
    DenseElementsAttr cst;
    SmallVector<uint8_t> raw;
    if (matchPattern(t.operand->get(), m_Constant(&cst))) {
      if (cst.getElementType().getIntOrFloatBitWidth() != 8)
        return none;
      for (char c : cst.getRawData())
        raw.push_back(uint8_t(c));
    } else if (auto res = dyn_cast_or_null<DenseResourceElementsAttr>(
                   t.operand->get().getDefiningOp() ? t.operand->get().getDefiningOp()->getAttr("value")
                                                    : Attribute())) {
      if (!res.getRawHandle().getBlob())
        return none;
      for (char c : res.getRawHandle().getBlob()->getData())
        raw.push_back(uint8_t(c));
    } else {
      return none;
    }
    llvm::SmallDenseSet<uint32_t, 256> used(raw.begin(), raw.end());
    auto tryRoute = [&](ScaleRoute r, auto base) -> std::optional<ScaleRoute> {
      // The factor from a code whose base is a power of two (the division
      // is then exact), then every used code checked.
      std::optional<float> factor;
      for (uint32_t c = 0; c < t.table.size() && !factor; ++c) {
        std::optional<float> v = base(c);
        int e;
        if (v && std::isfinite(*v) && *v != 0 && std::frexp(std::fabs(*v), &e) == 0.5f &&
            std::isfinite(t.table[c]) && t.table[c] != 0)
          factor = t.table[c] / *v;
      }
      for (uint32_t c : used) {
        std::optional<float> v = base(c);
        if (!v || !std::isfinite(*v) || !std::isfinite(t.table[c]))
          return std::nullopt;
      }
      r.factor = factor.value_or(1.0f);
      for (uint32_t c : used)
        if (*base(c) * r.factor != t.table[c])
          return std::nullopt;
      return r;
    };
    auto exponent = [](uint32_t c) -> std::optional<float> {
      if (c == 0 || c == 255)
        return std::nullopt;
      uint32_t bits = c << 23;
      float f;
      std::memcpy(&f, &bits, 4);
      return f;
    };
    auto half7 = [](uint32_t c) -> std::optional<float> {
      return halfValue(((c & 0x80u) << 8) | ((c & 0x7Fu) << 7));
    };
    if (auto r = tryRoute({ScaleRoute::Exponent, 23, 1.0f}, exponent))
      return *r;
    if (auto r = tryRoute({ScaleRoute::Half, 7, 1.0f}, half7))
      return *r;
    return none;
  }
  ScaleRoute scaleRoute; ///< of the matmul being rewritten

  /// The element half of the decode applied to 16 codes (bytes holding codes
  /// of `e.code`'s width): each scalar op rebuilt on vectors, constants
  /// splatted.
  static Value decodeElements(OpBuilder &b, Location loc, const ElementDecode &e, Value bytes) {
    auto vec = [](Type t) { return VectorType::get({kLanes}, t); };
    // Narrower codes sit zero-extended in their bytes: a zero extension of
    // the code reads the byte itself (no vector of i6, which LLVM widens
    // slowly); any other use gets the truncated code.
    Value code = bytes;
    bool narrow = e.code.getType() != b.getI8Type();
    IRMapping map;
    for (Operation *op : e.ops) {
      if (narrow && isa<arith::ExtUIOp>(op) && op->getOperand(0) == e.code) {
        map.map(op->getResult(0), arith::ExtUIOp::create(b, loc, vec(op->getResult(0).getType()),
                                                        bytes)
                                      .getResult());
        continue;
      }
      if (narrow && !map.contains(e.code) && llvm::is_contained(op->getOperands(), e.code))
        map.map(e.code, arith::TruncIOp::create(b, loc, vec(e.code.getType()), bytes).getResult());
      if (!narrow)
        map.map(e.code, code);
      SmallVector<Value> operands;
      for (Value v : op->getOperands()) {
        if (Value m = map.lookupOrNull(v)) {
          operands.push_back(m);
          continue;
        }
        Attribute c;
        matchPattern(v, m_Constant(&c));
        operands.push_back(arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(vec(v.getType()), ArrayRef<Attribute>{c})));
      }
      OperationState state(loc, op->getName());
      state.addOperands(operands);
      state.addAttributes(op->getAttrs());
      state.addTypes(vec(op->getResult(0).getType()));
      map.map(op->getResult(0), b.create(state)->getResult(0));
    }
    return map.lookup(e.decoded->getResult(0));
  }

  /// Codes of at most 4 bits two per byte, [T, K / 2, nc]; wider codes one
  /// per byte, [T, K, nc].
  Value packCodes(OpBuilder &b, Location loc, const Plan &p, int64_t nc) {
    SmallVector<uint32_t> codes = *constantCodes(p.weight.codes->get());
    int64_t k = p.form.k, n = p.form.n, t = n / nc;
    if (p.sextets()) {
      // Per tile, its [K, nc] codes as lib/Format's dense 6-bit stream (row r,
      // column c at bits 6 (r nc + c)), then 8 bytes of padding so the last
      // row's 32-byte reads stay inside the panel.
      const int64_t panel = k * nc * 6 / 8 + 8;
      std::vector<char> bytes;
      std::vector<uint32_t> tile(size_t(k * nc));
      for (int64_t tt = 0; tt < t; ++tt) {
        for (int64_t kk = 0; kk < k; ++kk)
          for (int64_t c = 0; c < nc; ++c)
            tile[size_t(kk * nc + c)] = codes[size_t(kk * n + tt * nc + c)];
        std::vector<uint8_t> stream = ::qopt::format::packCodes(tile.data(), tile.size(), 6);
        bytes.insert(bytes.end(), stream.begin(), stream.end());
        bytes.resize(size_t((tt + 1) * panel), 0);
      }
      return packedConstant(b, loc, RankedTensorType::get({t, panel}, b.getI8Type()),
                            "sextet_codes", bytes);
    }
    if (!p.nibbles) {
      std::vector<char> bytes(size_t(k * n));
      for (int64_t tt = 0; tt < t; ++tt)
        for (int64_t kk = 0; kk < k; ++kk)
          for (int64_t c = 0; c < nc; ++c)
            bytes[size_t((tt * k + kk) * nc + c)] = char(codes[size_t(kk * n + tt * nc + c)]);
      return packedConstant(b, loc, RankedTensorType::get({t, k, nc}, b.getI8Type()),
                            "byte_codes", bytes);
    }
    std::vector<char> bytes(size_t(k / 2 * n));
    for (int64_t tt = 0; tt < t; ++tt)
      for (int64_t kk = 0; kk < k / 2; ++kk)
        for (int64_t c = 0; c < nc; ++c) {
          uint32_t lo = codes[size_t(2 * kk * n + tt * nc + c)] & 0xF;
          uint32_t hi = codes[size_t((2 * kk + 1) * n + tt * nc + c)] & 0xF;
          bytes[size_t((tt * (k / 2) + kk) * nc + c)] = char(lo | (hi << 4));
        }
    return packedConstant(b, loc, RankedTensorType::get({t, k / 2, nc}, b.getI8Type()),
                          "nibble_codes", bytes);
  }

  void rewrite(Plan &p) {
    current = &p;
    linalg::GenericOp op = p.matmul;
    OpBuilder b(op);
    Location loc = op.getLoc();
    const int64_t k = p.form.k, n = p.form.n, rows = p.form.rows, block = p.block,
                  kb = k / block;
    // Column tiles of 64 (one register block wide): each thread's tile
    // streams one contiguous [K/2, 64] byte panel.
    const int64_t nc = columnTile(n, parallelN);
    const int64_t nr = nc % 64 == 0 ? 64 : nc % 32 == 0 ? 32 : 16;
    const int64_t lanes = nr / kLanes;
    const int64_t g = p.nibbles ? 2 : 1; // rows of K per byte
    Type f32 = b.getF32Type(), i32 = b.getI32Type(), i8 = b.getI8Type();
    auto f32x16 = VectorType::get({kLanes}, f32);
    auto i32x16 = VectorType::get({kLanes}, i32);

    Value codes = packCodes(b, loc, p, nc);
    Value table; // codes of at most 4 bits: the 16-entry decode table
    if (p.nibbles) {
      SmallVector<float> table16(16, 0.0f);
      llvm::copy(p.table, table16.begin());
      table = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(RankedTensorType::get({16}, f32), ArrayRef(table16)));
    } else if (p.sextets()) {
      table = arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(RankedTensorType::get({64}, b.getBF16Type()), p.bf16Table));
    }
    // Block scales: read in their stored format in the block epilogue (a
    // 256-entry table folded at compile time for 8-bit scale codes, or f32
    // times a constant), else computed into an f32 [KB, N] tensor first.
    std::optional<ScaleTable> folded = foldScaleTable(p.weight);
    if (folded && !stridedScaleMap(p.weight, *folded))
      folded.reset();
    Value sw = !folded                ? p.weight.buildScales(b, loc, 0, block, 1.0f)
               : folded->operand ? folded->operand->get()
                                 : Value();
    // Stored [KB, N] scales, constant: repacked per column tile [T, KB, nc],
    // so a tile reads them as one stream beside its code panel, not a line
    // from a new page every block.
    Value swPanels;
    if (folded && folded->operand && nc != n &&
        p.weight.op.getMatchingIndexingMap(folded->operand).getNumResults() == 2)
      swPanels = panelConstant(b, loc, sw, nc, "gemv_scales");
    scaleRoute = folded && !folded->table.empty() ? chooseScaleRoute(*folded) : ScaleRoute();
    Value scaleTable;
    if (folded && !folded->table.empty() && scaleRoute.kind == ScaleRoute::Gather)
      scaleTable = arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(RankedTensorType::get({int64_t(folded->table.size())}, f32),
                                 ArrayRef(folded->table)));
    Value a = collapseRows(b, loc, op.getDpsInputs()[0]);
    Value c0 = collapseRows(b, loc, op.getDpsInits()[0]);
    Value padI8 = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
    Value padF = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    Value fifteen, four; // nibble selection
    if (p.nibbles) {
      fifteen = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(i32x16, int32_t(15)));
      four = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(i32x16, int32_t(4)));
    }
    auto idx = [&](OpBuilder &bb, int64_t v) { return indexConst(bb, loc, v); };
    auto lookup = [&](OpBuilder &bb, Value codes32) { return tableLookup(bb, loc, table, codes32); };

    Value tileColumn; // the first column of the current tile (stored scales)
    auto buildBlock = [&](OpBuilder &bb, int64_t mr, Value m0, Value n0, Value ct, Value swt,
                          Value cc) -> Value {
      auto kbLoop = scf::ForOp::create(
          bb, loc, idx(bb, 0), idx(bb, kb), idx(bb, 1), ValueRange{cc},
          [&](OpBuilder &kbb, Location, Value kbIv, ValueRange kbArgs) {
            Value zero = arith::ConstantOp::create(kbb, loc, kbb.getZeroAttr(f32x16));
            // Few rows: even and odd k in separate accumulators, so each FMA
            // chain has one FMA per pair of k (latency-bound otherwise).
            const bool split = g == 2 && mr * lanes * 2 <= 16;
            const int64_t perRow = split ? 2 * lanes : lanes;
            SmallVector<Value> inits(mr * perRow, zero);
            Value perBlock = idx(kbb, block / g);
            Value lb = arith::MulIOp::create(kbb, loc, kbIv, perBlock);
            Value ub = arith::AddIOp::create(kbb, loc, lb, perBlock);
            auto kLoop = scf::ForOp::create(
                kbb, loc, lb, ub, idx(kbb, 1), inits,
                [&](OpBuilder &kk, Location, Value group, ValueRange accs) {
                  // elems[i][j]: row g * group + i of K, columns n0 + 16 j.
                  SmallVector<SmallVector<Value>> elems(g);
                  for (int64_t j = 0; p.sextets() && j < lanes; j += 2) {
                    // 32 columns from n0 + 16 j of row `group`: the byte of
                    // bit 6 (group nc + column) of the panel's stream.
                    AffineExpr row = getAffineDimExpr(0, kk.getContext()),
                               col = getAffineDimExpr(1, kk.getContext()) + j * kLanes;
                    Value at = affine::AffineApplyOp::create(
                        kk, loc, AffineMap::get(2, 0, ((row * nc + col) * 6).floorDiv(8)),
                        ValueRange{group, n0});
                    auto [lo, hi] = decodeSextets(kk, loc, table, ct, at);
                    elems[0].push_back(lo);
                    elems[0].push_back(hi);
                  }
                  for (int64_t j = 0; !p.sextets() && j < lanes; ++j) {
                    Value col = arith::AddIOp::create(kk, loc, n0, idx(kk, j * kLanes));
                    Value bytes = vector::TransferReadOp::create(
                        kk, loc, VectorType::get({kLanes}, i8), ct, ValueRange{group, col}, padI8,
                        ArrayRef<bool>{true});
                    if (g == 2) {
                      Value wide = arith::ExtUIOp::create(kk, loc, i32x16, bytes);
                      elems[0].push_back(lookup(kk, arith::AndIOp::create(kk, loc, wide, fifteen)));
                      elems[1].push_back(lookup(kk, arith::ShRUIOp::create(kk, loc, wide, four)));
                    } else {
                      elems[0].push_back(p.halfShift >= 0
                                             ? decodeHalf(kk, loc, p, bytes)
                                             : decodeElements(kk, loc, p.weight.element, bytes));
                    }
                  }
                  SmallVector<Value> next(accs.begin(), accs.end());
                  for (int64_t r = 0; r < mr; ++r) {
                    Value m = arith::AddIOp::create(kk, loc, m0, idx(kk, r));
                    for (int64_t i = 0; i < g; ++i) {
                      Value kIdx = arith::AddIOp::create(
                          kk, loc, arith::MulIOp::create(kk, loc, group, idx(kk, g)), idx(kk, i));
                      Value av = vector::BroadcastOp::create(
                          kk, loc, f32x16, tensor::ExtractOp::create(kk, loc, a, ValueRange{m, kIdx}));
                      for (int64_t j = 0; j < lanes; ++j) {
                        Value &acc = next[r * perRow + (split ? i * lanes : 0) + j];
                        acc = vector::FMAOp::create(kk, loc, av, elems[i][j], acc);
                      }
                    }
                  }
                  scf::YieldOp::create(kk, loc, next);
                });
            // Block epilogue: C += sum * scale.
            Value c = kbArgs[0];
            for (int64_t j = 0; j < lanes; ++j) {
              Value col = arith::AddIOp::create(kbb, loc, n0, idx(kbb, j * kLanes));
              Value absCol = tileColumn ? arith::AddIOp::create(kbb, loc, tileColumn, col).getResult()
                                        : col;
              Value s = folded ? storedScales(kbb, loc, *folded, scaleTable, swt, kbIv, absCol)
                               : vector::TransferReadOp::create(kbb, loc, f32x16, swt,
                                                                ValueRange{kbIv, col}, padF,
                                                                ArrayRef<bool>{true})
                                     .getResult();
              for (int64_t r = 0; r < mr; ++r) {
                Value m = arith::AddIOp::create(kbb, loc, m0, idx(kbb, r));
                Value old = vector::TransferReadOp::create(kbb, loc, f32x16, c, ValueRange{m, col},
                                                           padF, ArrayRef<bool>{true});
                Value sum = kLoop.getResult(r * perRow + j);
                if (split)
                  sum = arith::AddFOp::create(kbb, loc, sum, kLoop.getResult(r * perRow + lanes + j));
                Value upd = vector::FMAOp::create(kbb, loc, sum, s, old);
                c = vector::TransferWriteOp::create(kbb, loc, upd, c, ValueRange{m, col},
                                                    ArrayRef<bool>{true})
                        .getResult();
              }
            }
            scf::YieldOp::create(kbb, loc, c);
          });
      return kbLoop.getResult(0);
    };

    Value result = buildColumnTiles(b, loc, c0, nc, [&](OpBuilder &tb, Value t, Value cc) {
      Value ct = panelSlice(tb, loc, codes, t);
      Value swt = swPanels ? panelSlice(tb, loc, swPanels, t)
                  : folded ? sw
                           : columnSlice(tb, loc, sw, t, nc);
      tileColumn = folded && !swPanels && nc != n
                       ? arith::MulIOp::create(tb, loc, t, idx(tb, nc)).getResult()
                       : Value();
      return buildTileLoops(tb, loc, cc, rows, nc, nr, kRows,
                            [&](OpBuilder &bb, int64_t mr, Value m0, Value n0, Value c) {
                              return buildBlock(bb, mr, m0, n0, ct, swt, c);
                            });
    });
    result = expandRows(b, loc, result, cast<RankedTensorType>(op.getResult(0).getType()));
    op.getResult(0).replaceAllUsesWith(result);
    Operation *wOp = p.weight.op;
    op.erase();
    if (wOp->use_empty())
      wOp->erase();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::qopt::createX86GemvPass() {
  return std::make_unique<GemvPass>();
}
