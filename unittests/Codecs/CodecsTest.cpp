//===- CodecsTest.cpp - emitted codecs against lib/Format -----------------===//
//
// Part of qopt. For each format, the decoders and encoders emitted by
// ScalarCodecs are lowered to LLVM with upstream passes, JIT-compiled with
// mlir::ExecutionEngine and compared bit for bit with lib/Format: every code
// (with garbage above the format's bits) through i32, i64, narrow and vector
// decoders; a dense sweep of f32 inputs (every value, midpoint and their f32
// neighbours, powers of two, f32 subnormals, +-0, +-Inf, NaNs, overflow, and
// random bit patterns) through scalar and vector encoders for every rounding
// and overflow mode.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Codecs/ScalarCodecs.h"
#include "qopt/Format/ElementFormat.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/TargetSelect.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
using ::qopt::format::ElementFormat;
using ::qopt::format::Overflow;
using ::qopt::format::Rounding;
using ::qopt::format::TableFormat;

namespace {

constexpr int kLanes = 8;
constexpr std::array<Rounding, 5> kRoundings = {Rounding::NearestEven, Rounding::NearestAway,
                                                Rounding::TowardZero, Rounding::Up, Rounding::Down};
constexpr std::array<Overflow, 2> kOverflows = {Overflow::Saturate, Overflow::Special};
using IntRange = std::optional<std::pair<int64_t, int64_t>>;

uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
float floatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

//===----------------------------------------------------------------------===//
// JIT-compiled codecs of one format
//===----------------------------------------------------------------------===//

using Body = llvm::function_ref<Value(OpBuilder &, Location, Value)>;

/// func @name(%x: in) -> out { body }
bool addScalarFunction(OpBuilder &b, StringRef name, Type in, Type out, Body body) {
  Location loc = b.getUnknownLoc();
  auto fn = func::FuncOp::create(b, loc, name, b.getFunctionType({in}, {out}));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(fn.addEntryBlock());
  Value result = body(b, loc, fn.getArgument(0));
  if (!result)
    return false;
  func::ReturnOp::create(b, loc, result);
  return true;
}

/// func @name(%in: !llvm.ptr, %out: !llvm.ptr): *out = body(*in) on vectors.
bool addVectorFunction(OpBuilder &b, StringRef name, Type in, Body body) {
  Location loc = b.getUnknownLoc();
  Type ptr = LLVM::LLVMPointerType::get(b.getContext());
  auto fn = func::FuncOp::create(b, loc, name, b.getFunctionType({ptr, ptr}, {}));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(fn.addEntryBlock());
  Value x = LLVM::LoadOp::create(b, loc, VectorType::get({kLanes}, in), fn.getArgument(0),
                                 /*alignment=*/4);
  Value result = body(b, loc, x);
  if (!result)
    return false;
  LLVM::StoreOp::create(b, loc, result, fn.getArgument(1), /*alignment=*/4);
  func::ReturnOp::create(b, loc);
  return true;
}

std::string encodeName(StringRef prefix, size_t r, size_t o) {
  return (prefix + "_" + std::to_string(r) + "_" + std::to_string(o)).str();
}

/// The decoders (i32, i64, narrowest byte-multiple and vector<8xi32> codes)
/// and the encoders (scalar and vector<8xf32>, every rounding and overflow).
class CompiledCodecs {
public:
  using DecodeI32 = float (*)(uint32_t);
  using DecodeI64 = float (*)(uint64_t);
  using DecodeI8 = float (*)(uint8_t);
  using DecodeI16 = float (*)(uint16_t);
  using Encode = uint32_t (*)(float);
  using Batch = void (*)(const void *, void *);

  CompiledCodecs() {
    ctx.loadDialect<arith::ArithDialect, func::FuncDialect, math::MathDialect, LLVM::LLVMDialect>();
    registerBuiltinDialectTranslation(ctx);
    registerLLVMDialectTranslation(ctx);
  }

  /// Builds, lowers and JIT-compiles; returns an error message or "".
  std::string compile(const ElementFormat &format, IntRange range = std::nullopt);

  unsigned narrowWidth() const { return narrowBits; }
  DecodeI32 decodeI32 = nullptr;
  DecodeI64 decodeI64 = nullptr;
  void *decodeNarrow = nullptr;
  Batch decodeVector = nullptr;
  Encode encode[kRoundings.size()][kOverflows.size()] = {};
  Batch encodeVector[kRoundings.size()][kOverflows.size()] = {};

private:
  MLIRContext ctx;
  std::unique_ptr<ExecutionEngine> engine;
  unsigned narrowBits = 0;

  bool build(ModuleOp module, const ElementFormat &format, IntRange range);
  template <typename T> std::string lookup(StringRef name, T &fn);
};

bool CompiledCodecs::build(ModuleOp module, const ElementFormat &format, IntRange range) {
  OpBuilder b(module.getBodyRegion());
  b.setInsertionPointToEnd(module.getBody());
  Type i32 = b.getI32Type(), f32 = b.getF32Type();
  auto decode = [&](OpBuilder &b, Location loc, Value code) {
    return mlir::qopt::emitDecode(b, loc, code, format);
  };
  narrowBits = format.getBitWidth() <= 8 ? 8 : 16;
  bool ok = addScalarFunction(b, "decode_i32", i32, f32, decode) &&
            addScalarFunction(b, "decode_i64", b.getI64Type(), f32, decode) &&
            addScalarFunction(b, "decode_narrow", b.getIntegerType(narrowBits), f32, decode) &&
            addVectorFunction(b, "decode_vector", i32, decode);
  for (size_t r = 0; r < kRoundings.size(); ++r) {
    for (size_t o = 0; o < kOverflows.size(); ++o) {
      auto encode = [&](OpBuilder &b, Location loc, Value x) {
        return mlir::qopt::emitEncode(b, loc, x, format, kRoundings[r], kOverflows[o], range);
      };
      ok = ok && addScalarFunction(b, encodeName("encode", r, o), f32, i32, encode) &&
           addVectorFunction(b, encodeName("encode_vector", r, o), f32, encode);
    }
  }
  return ok;
}

template <typename T> std::string CompiledCodecs::lookup(StringRef name, T &fn) {
  llvm::Expected<void *> address = engine->lookup(name);
  if (!address)
    return "no symbol " + name.str() + ": " + llvm::toString(address.takeError());
  fn = reinterpret_cast<T>(*address);
  return "";
}

std::string CompiledCodecs::compile(const ElementFormat &format, IntRange range) {
  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&ctx));
  if (!build(*module, format, range))
    return "an emitter failed";
  if (failed(verify(*module)))
    return "the emitted IR does not verify";
  PassManager pm(&ctx);
  pm.enableVerifier(true);
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  if (failed(pm.run(*module)))
    return "lowering to LLVM failed";
  ExecutionEngineOptions options;
  auto created = ExecutionEngine::create(*module, options);
  if (!created)
    return "JIT: " + llvm::toString(created.takeError());
  engine = std::move(*created);
  std::string error = lookup("decode_i32", decodeI32) + lookup("decode_i64", decodeI64) +
                      lookup("decode_narrow", decodeNarrow) + lookup("decode_vector", decodeVector);
  for (size_t r = 0; r < kRoundings.size(); ++r) {
    for (size_t o = 0; o < kOverflows.size(); ++o) {
      error += lookup(encodeName("encode", r, o), encode[r][o]);
      error += lookup(encodeName("encode_vector", r, o), encodeVector[r][o]);
    }
  }
  return error;
}

//===----------------------------------------------------------------------===//
// References and inputs
//===----------------------------------------------------------------------===//

/// lib/Format's code for `x`.
uint32_t expectedCode(const ElementFormat &format, float x, Rounding r, Overflow o,
                      IntRange range) {
  if (range)
    return format.getInt().encode(double(x), r, range->first, range->second);
  return format.encode(double(x), r, o);
}

/// The exactly representable f32 values of all finite codes, both signs.
std::vector<double> formatValues(const ElementFormat &format) {
  std::vector<double> values;
  for (uint32_t code = 0; code < format.getNumCodes(); ++code) {
    double v = format.decode(code);
    if (std::isfinite(v)) {
      values.push_back(v);
      values.push_back(-v);
    }
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

class InputSet {
public:
  void add(float x) { xs.push_back(x); }
  /// x (rounded to f32) and its two f32 neighbours.
  void addWithNeighbours(double d) {
    float x = static_cast<float>(d);
    add(x);
    add(std::nextafter(x, std::numeric_limits<float>::infinity()));
    add(std::nextafter(x, -std::numeric_limits<float>::infinity()));
  }
  std::vector<float> take() { return std::move(xs); }

private:
  std::vector<float> xs;
};

void addSpecialInputs(InputSet &in) {
  for (uint32_t bits :
       {0x00000000u, 0x80000000u, 0x7F800000u, 0xFF800000u, 0x7FC00000u, 0xFFC00000u, 0x7F800001u,
        0xFFFFFFFFu, 0x7FBFFFFFu, 0x00000001u, 0x80000001u, 0x00400000u, 0x00600000u, 0x00200000u,
        0x00C00000u, 0x007FFFFFu, 0x00800000u, 0x7F7FFFFFu, 0xFF7FFFFFu})
    in.add(floatOf(bits));
  for (int k = -150; k <= 128; ++k)
    for (double m : {1.0, 1.25, 1.5, 1.75})
      for (double s : {1.0, -1.0})
        in.addWithNeighbours(s * std::ldexp(m, k));
}

/// Every value, every midpoint (all exact in f32 here or rounded) and their
/// f32 neighbours, and values around and beyond the largest one.
void addValueInputs(InputSet &in, const ElementFormat &format) {
  std::vector<double> values = formatValues(format);
  for (size_t i = 0; i < values.size(); ++i) {
    in.addWithNeighbours(values[i]);
    if (i + 1 < values.size())
      in.addWithNeighbours(values[i] + (values[i + 1] - values[i]) / 2);
  }
  if (values.size() < 2)
    return;
  double top = values.back(), ulp = top - values[values.size() - 2];
  for (double k : {0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0})
    for (double s : {1.0, -1.0})
      in.addWithNeighbours(s * (top + k * ulp));
  for (double k : {2.0, 4.0, 1e3})
    for (double s : {1.0, -1.0})
      in.addWithNeighbours(s * top * k);
}

/// Integers and half-integers around the range of an integer format.
void addIntInputs(InputSet &in, const ElementFormat &format) {
  const auto &f = format.getInt();
  for (int64_t k = f.getMin() - 4; k <= f.getMax() + 4; ++k)
    for (double d : {0.0, 0.5, -0.5, 0.25})
      in.addWithNeighbours(double(k) + d);
}

void addRandomInputs(InputSet &in, const ElementFormat &format, std::mt19937 &rng) {
  for (int i = 0; i < 100000; ++i)
    in.add(floatOf(rng()));
  // Dense in the format's own exponent range (and a little beyond).
  double maxAbs = format.getMaxAbs();
  int hi = std::ilogb(maxAbs) + 2;
  int lo = format.isFloat() ? std::ilogb(format.getFloat().getMinPositive()) - 3 : -4;
  std::uniform_int_distribution<int> exponent(lo, hi);
  for (int i = 0; i < 30000; ++i) {
    double mantissa = 1.0 + double(rng() & 0x7FFFFF) * 0x1p-23;
    double sign = (rng() & 1) ? -1.0 : 1.0;
    in.add(static_cast<float>(sign * std::ldexp(mantissa, exponent(rng))));
  }
}

std::vector<float> encodeInputs(const ElementFormat &format) {
  InputSet in;
  std::mt19937 rng(0x9E3779B9u ^ format.getBitWidth());
  addSpecialInputs(in);
  addValueInputs(in, format);
  if (format.isInt())
    addIntInputs(in, format);
  addRandomInputs(in, format, rng);
  return in.take();
}

//===----------------------------------------------------------------------===//
// Checks
//===----------------------------------------------------------------------===//

/// Counts mismatches; reports the first few.
class Mismatches {
public:
  explicit Mismatches(std::string what) : what(std::move(what)) {}
  /// `detail` is only called on a mismatch.
  template <typename Detail> void check(bool ok, Detail detail) {
    ++checks;
    if (ok)
      return;
    if (++failures <= 12)
      ADD_FAILURE() << what << ": " << detail();
  }
  ~Mismatches() {
    EXPECT_EQ(failures, 0u) << what << ": " << failures << " of " << checks << " differ";
  }
  uint64_t checks = 0, failures = 0;

private:
  std::string what;
};

/// Returns the number of comparisons.
uint64_t checkDecoders(const ElementFormat &format, CompiledCodecs &c) {
  Mismatches m("decode " + format.getName());
  std::mt19937 rng(12345);
  unsigned bits = format.getBitWidth();
  uint32_t mask = format.getNumCodes() - 1;
  auto expected = [&](uint64_t code) {
    return bitsOf(static_cast<float>(format.decode(uint32_t(code) & mask)));
  };
  auto report = [&](const char *via, uint64_t code, float got) {
    return std::string(via) + " code " + hex(code) + " gives " + hex(bitsOf(got)) +
           ", lib/Format " + hex(expected(code));
  };
  std::array<uint32_t, kLanes> lanes;
  std::array<float, kLanes> out;
  for (uint32_t code = 0; code < format.getNumCodes(); ++code) {
    uint32_t c32 = code | (rng() << bits);
    float got = c.decodeI32(c32);
    m.check(bitsOf(got) == expected(code), [&] { return report("i32", c32, got); });
    uint64_t c64 = code | (uint64_t(rng()) << 32) | (uint64_t(rng()) << bits);
    got = c.decodeI64(c64);
    m.check(bitsOf(got) == expected(code), [&] { return report("i64", c64, got); });
    uint32_t narrow = (code | (rng() << bits)) & ((1u << c.narrowWidth()) - 1);
    got = c.narrowWidth() == 8
              ? reinterpret_cast<CompiledCodecs::DecodeI8>(c.decodeNarrow)(uint8_t(narrow))
              : reinterpret_cast<CompiledCodecs::DecodeI16>(c.decodeNarrow)(uint16_t(narrow));
    m.check(bitsOf(got) == expected(code), [&] { return report("narrow", narrow, got); });
    lanes[code % kLanes] = c32;
    if (code % kLanes == kLanes - 1 || code + 1 == format.getNumCodes()) {
      c.decodeVector(lanes.data(), out.data());
      for (uint32_t l = 0; l <= code % kLanes; ++l)
        m.check(bitsOf(out[l]) == expected(lanes[l]),
                [&] { return report("vector", lanes[l], out[l]); });
    }
  }
  return m.checks;
}

/// Returns the number of comparisons.
uint64_t checkEncoders(const ElementFormat &format, CompiledCodecs &c,
                       const std::vector<float> &inputs, IntRange range = std::nullopt) {
  Mismatches m("encode " + format.getName());
  std::array<float, kLanes> lanes;
  std::array<uint32_t, kLanes> out;
  for (size_t r = 0; r < kRoundings.size(); ++r) {
    for (size_t o = 0; o < kOverflows.size(); ++o) {
      auto report = [&](const char *via, float x, uint32_t got, uint32_t want) {
        return std::string(via) + " " + std::string(stringify(kRoundings[r])) +
               (kOverflows[o] == Overflow::Saturate ? " saturate" : " special") +
               " x=" + hex(bitsOf(x)) + " (" + std::to_string(x) + ") gives " + hex(got) +
               ", lib/Format " + hex(want);
      };
      for (size_t i = 0; i < inputs.size(); ++i) {
        float x = inputs[i];
        uint32_t want = expectedCode(format, x, kRoundings[r], kOverflows[o], range);
        uint32_t got = c.encode[r][o](x);
        m.check(got == want, [&] { return report("scalar", x, got, want); });
        lanes[i % kLanes] = x;
        if (i % kLanes == kLanes - 1 || i + 1 == inputs.size()) {
          c.encodeVector[r][o](lanes.data(), out.data());
          for (size_t l = 0; l <= i % kLanes; ++l) {
            uint32_t w = expectedCode(format, lanes[l], kRoundings[r], kOverflows[o], range);
            m.check(out[l] == w, [&] { return report("vector", lanes[l], out[l], w); });
          }
        }
      }
    }
  }
  return m.checks;
}

//===----------------------------------------------------------------------===//
// Tests
//===----------------------------------------------------------------------===//

class JitEnvironment : public ::testing::Environment {
public:
  void SetUp() override {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  }
};
[[maybe_unused]] ::testing::Environment *const jitEnvironment =
    ::testing::AddGlobalTestEnvironment(new JitEnvironment);

ElementFormat makeFormat(const std::string &name) {
  if (name == "codebook_nozero") // no zero entry: NaN and 0 tie between +-0.25
    return ElementFormat(
        TableFormat({-6, -4, -3, -2, -1.5f, -1, -0.75f, -0.25f, 0.25f, 0.75f, 1, 1.5f, 2, 3, 4, 6},
                    "codebook_nozero"));
  if (name == "codebook_pow2") // ties on both sides of 0
    return ElementFormat(TableFormat(
        {-8, -4, -2, -1, -0.5f, -0.25f, -0.125f, 0, 0.125f, 0.25f, 0.5f, 1, 2, 4, 8, 16},
        "codebook_pow2"));
  std::optional<ElementFormat> f = ElementFormat::parse(name);
  if (!f)
    std::abort();
  return *f;
}

class CodecsTest : public ::testing::TestWithParam<const char *> {};

TEST_P(CodecsTest, MatchesLibFormat) {
  ElementFormat format = makeFormat(GetParam());
  ASSERT_TRUE(succeeded(mlir::qopt::checkCodecSupport(format)));
  CompiledCodecs codecs;
  std::string error = codecs.compile(format);
  ASSERT_EQ(error, "");
  uint64_t decodes = checkDecoders(format, codecs);
  std::vector<float> inputs = encodeInputs(format);
  uint64_t encodes = checkEncoders(format, codecs, inputs);
  std::printf("[ codecs   ] %-16s %8llu decode and %9llu encode comparisons (%zu inputs)\n",
              format.getName().c_str(), static_cast<unsigned long long>(decodes),
              static_cast<unsigned long long>(encodes), inputs.size());
}

std::string paramName(const ::testing::TestParamInfo<const char *> &info) {
  std::string s = info.param;
  for (char &ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch)))
      ch = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    Formats, CodecsTest,
    ::testing::Values(
        // Builtin minifloats and scales.
        "f8E4M3FN", "f8E4M3", "f8E5M2", "f8E4M3FNUZ", "f8E5M2FNUZ", "f8E4M3B11FNUZ", "f8E3M4",
        "f6E2M3FN", "f6E3M2FN", "f4E2M1FN", "f8E8M0FNU", "ue4m3", "ue5m3", "f16", "bf16",
        // Generic eXmY: every variant, unsigned, one exponent bit, no mantissa,
        // biases whose subnormals are f32 subnormals (e8m3_b130) or large values.
        "e2m2", "e3m0", "e1m2", "e1m0", "e2m5_fnuz", "e5m2_fn", "e3m3_ieee", "e3m3_fnuz", "ue3m2",
        "ue4m4_ieee", "ue8m0", "ue2m3_fn", "e8m3_b130", "e5m2_b40", "e2m1_b0", "e6m9", "e7m8",
        // Integers.
        "i2", "i3", "i4", "i5", "i6", "i7", "i8", "ui2", "ui3", "ui4", "ui5", "ui6", "ui7", "ui8",
        "i16", "ui16",
        // Codebooks.
        "nf4", "codebook_nozero", "codebook_pow2"),
    paramName);

/// IntFormat::encode(value, rounding, lo, hi) for the ranges the scale rules
/// use (symmetric, MXINT8) and for ranges beyond or inside the format's.
TEST(CodecsIntRangeTest, MatchesLibFormat) {
  const std::pair<const char *, std::pair<int64_t, int64_t>> cases[] = {
      {"i8", {-127, 127}}, {"i4", {-7, 7}},    {"i2", {-1, 1}}, {"ui4", {2, 9}},
      {"i4", {-100, 100}}, {"ui8", {-5, 300}}, {"i8", {3, 3}},  {"i16", {-32767, 32767}}};
  for (const auto &[name, range] : cases) {
    ElementFormat format = makeFormat(name);
    CompiledCodecs codecs;
    ASSERT_EQ(codecs.compile(format, range), "") << name;
    checkEncoders(format, codecs, encodeInputs(format), range);
  }
}

/// Unsupported formats and operands fail with a diagnostic and no IR.
TEST(CodecsSupportTest, RejectsWithDiagnostic) {
  MLIRContext ctx;
  ctx.loadDialect<arith::ArithDialect, func::FuncDialect, math::MathDialect>();
  std::vector<std::string> messages;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    messages.push_back(d.str());
    return success();
  });
  OpBuilder b(&ctx);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  auto fn = func::FuncOp::create(
      b, loc, "f", b.getFunctionType({b.getF32Type(), b.getI32Type(), b.getF16Type()}, {}));
  b.setInsertionPointToStart(fn.addEntryBlock());
  Value x = fn.getArgument(0), code = fn.getArgument(1), half = fn.getArgument(2);

  ElementFormat wide = makeFormat("e9m6"); // bias 255: values beyond f32
  std::string reason;
  EXPECT_TRUE(failed(mlir::qopt::checkCodecSupport(wide, &reason)));
  EXPECT_NE(reason.find("not all exact f32"), std::string::npos) << reason;
  EXPECT_FALSE(mlir::qopt::emitDecode(b, loc, code, wide));
  EXPECT_FALSE(mlir::qopt::emitEncode(b, loc, x, wide, Rounding::NearestEven, Overflow::Saturate));
  EXPECT_FALSE(mlir::qopt::emitEncode(b, loc, x, makeFormat("f32"), Rounding::NearestEven,
                                      Overflow::Saturate));
  ElementFormat e4m3 = makeFormat("f8E4M3FN");
  EXPECT_FALSE(mlir::qopt::emitEncode(b, loc, half, e4m3, Rounding::NearestEven,
                                      Overflow::Saturate)); // not f32
  EXPECT_FALSE(mlir::qopt::emitDecode(b, loc, x, e4m3));    // not an integer
  EXPECT_FALSE(mlir::qopt::emitEncode(b, loc, x, e4m3, Rounding::NearestEven, Overflow::Saturate,
                                      std::make_pair(int64_t(-1), int64_t(1))));
  EXPECT_FALSE(mlir::qopt::emitEncode(b, loc, x, makeFormat("i8"), Rounding::NearestEven,
                                      Overflow::Saturate, std::make_pair(int64_t(5), int64_t(1))));
  EXPECT_EQ(messages.size(), 7u);
  EXPECT_TRUE(fn.getBody().front().empty()) << "a failed emitter left IR behind";
  for (const std::string &msg : messages)
    EXPECT_EQ(msg.rfind("cannot emit the ", 0), 0u) << msg;
}

/// The codecs are straight-line arith/math code: no control flow, no f8/f6/f4
/// types (upstream conversions of those are not used on CPU).
TEST(CodecsSupportTest, EmitsStraightLineArithAndMath) {
  MLIRContext ctx;
  ctx.loadDialect<arith::ArithDialect, func::FuncDialect, math::MathDialect>();
  OpBuilder b(&ctx);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  Type vf32 = VectorType::get({16}, b.getF32Type());
  auto fn = func::FuncOp::create(b, loc, "f", b.getFunctionType({vf32}, {}));
  b.setInsertionPointToStart(fn.addEntryBlock());
  for (const char *name : {"f8E4M3FN", "f4E2M1FN", "f8E8M0FNU", "bf16", "i4", "nf4"}) {
    ElementFormat format = makeFormat(name);
    Value code = mlir::qopt::emitEncode(b, loc, fn.getArgument(0), format, Rounding::NearestEven,
                                        Overflow::Saturate);
    ASSERT_TRUE(code) << name;
    EXPECT_EQ(code.getType(), VectorType::get({16}, b.getI32Type()));
    Value value = mlir::qopt::emitDecode(b, loc, code, format);
    ASSERT_TRUE(value) << name;
    EXPECT_EQ(value.getType(), vf32);
  }
  func::ReturnOp::create(b, loc);
  ASSERT_TRUE(succeeded(verify(*module)));
  fn.walk([&](Operation *op) {
    if (op == fn.getOperation() || isa<func::ReturnOp>(op))
      return;
    StringRef dialect = op->getDialect()->getNamespace();
    EXPECT_TRUE(dialect == "arith" || dialect == "math") << op->getName().getStringRef().str();
    EXPECT_EQ(op->getNumRegions(), 0u);
    for (Type t : op->getResultTypes()) {
      Type e = getElementTypeOrSelf(t);
      EXPECT_TRUE(e.isF32() || e.isInteger(32) || e.isInteger(1))
          << op->getName().getStringRef().str();
    }
  });
}

} // namespace
