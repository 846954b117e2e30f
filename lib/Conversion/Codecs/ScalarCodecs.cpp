//===- ScalarCodecs.cpp - arith/math IR for element codecs ----------------===//
//
// Part of qopt. Emits the element codecs of lib/Format as branch-free
// arith/math IR on scalars or vectors.
//
// Minifloats are encoded on the f32 bit pattern: the magnitude is split into
// an integer significand `sig` and a power of two 2^q, the quantum of the
// target format at the input's exponent (clamped to the subnormal exponent)
// is a power of two, so the rounding is a right shift of `sig` plus an
// increment computed from the shifted-out bits. The code of the rounded
// magnitude is then ((e - eMin) << manBits) + n, which also carries into the
// next binade and past the largest finite code (overflow). Every special
// result (NaN, Inf, overflow, negative input to an unsigned format) is a
// constant obtained from lib/Format itself when the IR is emitted.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Codecs/ScalarCodecs.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/TypeUtilities.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using ::qopt::format::ElementFormat;
using ::qopt::format::FloatFormat;
using ::qopt::format::FloatVariant;
using ::qopt::format::IntFormat;
using ::qopt::format::Overflow;
using ::qopt::format::Rounding;
using ::qopt::format::TableFormat;

namespace {

// IEEE binary32 layout.
constexpr int kF32ManBits = 23;
constexpr int kF32Bias = 127;
constexpr int kF32MinNormalExp = 1 - kF32Bias;
constexpr int64_t kF32AbsMask = 0x7FFFFFFF;
constexpr int64_t kF32ManMask = 0x007FFFFF;
constexpr int64_t kF32Hidden = 0x00800000;
constexpr int64_t kF32Inf = 0x7F800000;
constexpr int64_t kF32QuietNaN = 0x7FC00000;

/// Builds element-wise integer and float ops of one shape: a scalar, or a
/// vector of the shape of the operand the codec was given.
class Emitter {
public:
  Emitter(OpBuilder &builder, Location loc, Type shapeLike)
      : builder(builder), loc(loc), i32Type(withShape(shapeLike, builder.getI32Type())),
        f32Type(withShape(shapeLike, builder.getF32Type())) {}

  Value i32(int64_t v) {
    return constant(i32Type, builder.getI32IntegerAttr(int32_t(uint32_t(v))));
  }
  Value f32(float v) { return constant(f32Type, builder.getF32FloatAttr(v)); }

  Value add(Value x, Value y) { return arith::AddIOp::create(builder, loc, x, y); }
  Value add(Value x, int64_t y) { return add(x, i32(y)); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(builder, loc, x, y); }
  Value sub(Value x, int64_t y) { return sub(x, i32(y)); }
  Value andI(Value x, Value y) { return arith::AndIOp::create(builder, loc, x, y); }
  Value andI(Value x, int64_t y) { return andI(x, i32(y)); }
  Value orI(Value x, Value y) { return arith::OrIOp::create(builder, loc, x, y); }
  Value orI(Value x, int64_t y) { return orI(x, i32(y)); }
  Value shl(Value x, Value y) { return arith::ShLIOp::create(builder, loc, x, y); }
  Value shl(Value x, int64_t y) { return shl(x, i32(y)); }
  Value shrU(Value x, Value y) { return arith::ShRUIOp::create(builder, loc, x, y); }
  Value shrU(Value x, int64_t y) { return shrU(x, i32(y)); }
  Value shrS(Value x, int64_t y) { return arith::ShRSIOp::create(builder, loc, x, i32(y)); }
  Value maxS(Value x, int64_t y) { return arith::MaxSIOp::create(builder, loc, x, i32(y)); }
  Value minS(Value x, int64_t y) { return arith::MinSIOp::create(builder, loc, x, i32(y)); }

  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(builder, loc, p, x, y);
  }
  Value cmp(arith::CmpIPredicate p, Value x, int64_t y) { return cmp(p, x, i32(y)); }
  Value both(Value c1, Value c2) { return arith::AndIOp::create(builder, loc, c1, c2); }
  Value either(Value c1, Value c2) { return arith::OrIOp::create(builder, loc, c1, c2); }
  Value select(Value c, Value t, Value f) { return arith::SelectOp::create(builder, loc, c, t, f); }
  Value select(Value c, int64_t t, Value f) { return select(c, i32(t), f); }
  /// `neg` where the condition holds, else `pos` (one constant if equal).
  Value selectConst(Value c, int64_t neg, int64_t pos) {
    return neg == pos ? i32(pos) : select(c, i32(neg), i32(pos));
  }
  /// An i1 condition as 0/1 in i32.
  Value zext(Value c) { return arith::ExtUIOp::create(builder, loc, i32Type, c); }

  Value bitsOf(Value f) { return arith::BitcastOp::create(builder, loc, i32Type, f); }
  Value floatOf(Value i) { return arith::BitcastOp::create(builder, loc, f32Type, i); }
  Value uiToF32(Value i) { return arith::UIToFPOp::create(builder, loc, f32Type, i); }
  Value siToF32(Value i) { return arith::SIToFPOp::create(builder, loc, f32Type, i); }
  Value f32ToSI(Value f) { return arith::FPToSIOp::create(builder, loc, i32Type, f); }
  Value isNaN(Value f) {
    return arith::CmpFOp::create(builder, loc, arith::CmpFPredicate::UNO, f, f);
  }
  Value fcmpOGE(Value f, float t) {
    return arith::CmpFOp::create(builder, loc, arith::CmpFPredicate::OGE, f, f32(t));
  }
  Value fmax(Value f, float v) { return arith::MaximumFOp::create(builder, loc, f, f32(v)); }
  Value fmin(Value f, float v) { return arith::MinimumFOp::create(builder, loc, f, f32(v)); }
  Value mulF(Value f, float v) { return arith::MulFOp::create(builder, loc, f, f32(v)); }
  Value countLeadingZeros(Value i) { return math::CountLeadingZerosOp::create(builder, loc, i); }
  Value roundToIntegral(Value f, Rounding rounding);

  /// An integer (vector) of any width as i32: zero-extended or truncated.
  Value toI32(Value code);

private:
  OpBuilder &builder;
  Location loc;
  Type i32Type, f32Type;

  static Type withShape(Type like, Type element) {
    if (auto vec = dyn_cast<VectorType>(like))
      return VectorType::get(vec.getShape(), element, vec.getScalableDims());
    return element;
  }
  Value constant(Type type, TypedAttr scalar) {
    if (auto vec = dyn_cast<VectorType>(type))
      return arith::ConstantOp::create(builder, loc, DenseElementsAttr::get(vec, scalar));
    return arith::ConstantOp::create(builder, loc, scalar);
  }
};

Value Emitter::roundToIntegral(Value f, Rounding rounding) {
  switch (rounding) {
  case Rounding::NearestEven:
    return math::RoundEvenOp::create(builder, loc, f);
  case Rounding::NearestAway:
    return math::RoundOp::create(builder, loc, f);
  case Rounding::TowardZero:
    return math::TruncOp::create(builder, loc, f);
  case Rounding::Up:
    return math::CeilOp::create(builder, loc, f);
  case Rounding::Down:
    return math::FloorOp::create(builder, loc, f);
  }
  llvm_unreachable("unknown rounding");
}

Value Emitter::toI32(Value code) {
  unsigned width = getElementTypeOrSelf(code.getType()).getIntOrFloatBitWidth();
  if (width < 32)
    return arith::ExtUIOp::create(builder, loc, i32Type, code);
  if (width > 32)
    return arith::TruncIOp::create(builder, loc, i32Type, code);
  return code;
}

using Pred = arith::CmpIPredicate;

//===----------------------------------------------------------------------===//
// Support checks
//===----------------------------------------------------------------------===//

std::string checkFloat(const FloatFormat &f) {
  if (f.getBitWidth() > 16)
    return "minifloat codecs handle at most 16 bits, " + f.getName() + " has " +
           std::to_string(f.getBitWidth());
  if (f.getVariant() == FloatVariant::E8M0 && (f.isSigned() || f.getManBits() != 0))
    return "an E8M0-variant format must be unsigned without mantissa bits";
  if (f.getVariant() == FloatVariant::FNUZ && !f.isSigned())
    return "an FNUZ format needs a sign bit (its NaN is the negative zero code)";
  if (!(f.getMaxFinite() <= double(std::numeric_limits<float>::max())) ||
      !(f.getMinPositive() >= double(std::numeric_limits<float>::denorm_min())))
    return "the values of " + f.getName() + " are not all exact f32 values";
  return "";
}

std::string checkInt(const IntFormat &f) {
  if (f.getBitWidth() < 2 || f.getBitWidth() > 16)
    return "integer codecs handle 2 to 16 bits, " + f.getName() + " has " +
           std::to_string(f.getBitWidth());
  return "";
}

std::string checkTable(const TableFormat &f) {
  std::vector<double> values(f.getValues().begin(), f.getValues().end());
  return TableFormat::validate(values);
}

std::string checkFormat(const ElementFormat &format) {
  if (format.isInt())
    return checkInt(format.getInt());
  if (format.isFloat())
    return checkFloat(format.getFloat());
  return checkTable(format.getTable());
}

/// Emits an error and returns false when `format` or `type` is unsupported.
bool checkOperand(Location loc, const ElementFormat &format, Type type, bool isCode) {
  std::string reason = checkFormat(format);
  Type element = getElementTypeOrSelf(type);
  if (reason.empty() && !isa<VectorType>(type) && type != element)
    reason = "codec operands must be scalars or vectors";
  if (reason.empty() && isCode &&
      (!element.isSignlessInteger() || element.getIntOrFloatBitWidth() < format.getBitWidth()))
    reason = "a code operand must be a signless integer of at least " +
             std::to_string(format.getBitWidth()) + " bits";
  if (reason.empty() && !isCode && !element.isF32())
    reason = "the value to encode must be f32";
  if (reason.empty())
    return true;
  emitError(loc) << "cannot emit the " << (isCode ? "decoder" : "encoder") << " of "
                 << format.getName() << ": " << reason;
  return false;
}

//===----------------------------------------------------------------------===//
// Decoders
//===----------------------------------------------------------------------===//

/// f32 bits of sig * 2^k for an integer sig in [0, 2^24) and any k such that
/// the result is an f32 (a subnormal one only when `subnormals`).
Value scaledBits(Emitter &e, Value sig, Value k, bool subnormals) {
  Value t = e.bitsOf(e.uiToF32(sig)); // exact
  Value bits = e.add(t, e.shl(k, kF32ManBits));
  if (subnormals) {
    Value field = e.add(e.shrU(t, kF32ManBits), k); // biased exponent
    Value shift = e.minS(e.maxS(e.sub(e.i32(1), field), 0), 31);
    Value significand = e.orI(e.andI(t, kF32ManMask), kF32Hidden);
    bits = e.select(e.cmp(Pred::sgt, field, 0), bits, e.shrU(significand, shift));
  }
  return e.select(e.cmp(Pred::eq, sig, 0), 0, bits);
}

/// Replaces the f32 magnitude bits of NaN and Inf codes.
Value decodeSpecials(Emitter &e, const FloatFormat &f, Value code, Value mag, Value expField,
                     Value manField, Value bits) {
  unsigned magWidth = f.getExpBits() + f.getManBits();
  int64_t magMask = (int64_t(1) << magWidth) - 1;
  switch (f.getVariant()) {
  case FloatVariant::IEEE: {
    Value allOnes = e.cmp(Pred::eq, expField, (int64_t(1) << f.getExpBits()) - 1);
    Value noMan = e.cmp(Pred::eq, manField, 0);
    bits = e.select(e.both(allOnes, noMan), kF32Inf, bits);
    return e.select(e.both(allOnes, e.cmp(Pred::ne, manField, 0)), kF32QuietNaN, bits);
  }
  case FloatVariant::FN:
  case FloatVariant::E8M0:
    return e.select(e.cmp(Pred::eq, mag, magMask), kF32QuietNaN, bits);
  case FloatVariant::FNUZ: {
    Value low = e.andI(code, (int64_t(1) << f.getBitWidth()) - 1);
    return e.select(e.cmp(Pred::eq, low, magMask + 1), kF32QuietNaN, bits);
  }
  case FloatVariant::Finite:
    return bits;
  }
  llvm_unreachable("unknown float variant");
}

Value decodeFloat(Emitter &e, Value code, const FloatFormat &f) {
  unsigned man = f.getManBits();
  unsigned magWidth = f.getExpBits() + man;
  Value mag = e.andI(code, (int64_t(1) << magWidth) - 1);
  Value expField = e.shrU(mag, man);
  Value manField = e.andI(mag, (int64_t(1) << man) - 1);
  bool subnormals = f.getMinPositive() < std::ldexp(1.0, kF32MinNormalExp);
  Value bits;
  int64_t bias = f.getBias();
  int64_t maxExpField = (int64_t(1) << f.getExpBits()) - 1;
  if (f.getVariant() != FloatVariant::E8M0 && f.getExpBits() <= 8 && man <= 23 && bias >= 0 &&
      bias <= 127 && maxExpField - bias <= 127) {
    // Normals: the magnitude bits at the top of the f32 exponent/mantissa,
    // the exponent rebiased by one add. Subnormals (exponent field 0):
    // mantissa x 2^(1 - bias - man), exact. One select picks; no f32
    // denormal operand on the common path (x86 handles those with a slow
    // assist). About 8 ops instead of the general path's ~15: the hot loop
    // of every minifloat kernel.
    Value normal = e.add(e.shl(mag, int64_t(kF32ManBits - int(man))),
                         e.shl(e.i32(kF32Bias - bias), kF32ManBits));
    Value sub = e.mulF(e.uiToF32(manField), std::ldexp(1.0f, int(1 - bias - int64_t(man))));
    bits = e.select(e.cmp(Pred::ult, mag, int64_t(1) << man), e.bitsOf(sub), normal);
  } else if (f.getVariant() == FloatVariant::E8M0 && f.getExpBits() == 8 && bias == kF32Bias) {
    // 2^(e - 127): the code is the f32 exponent field; e = 0 is the f32
    // subnormal 2^-127 (e = 255, NaN, is replaced below).
    bits = e.select(e.cmp(Pred::eq, expField, 0), e.i32(int64_t(1) << (kF32ManBits - 1)),
                    e.shl(expField, kF32ManBits));
  } else if (f.getVariant() == FloatVariant::E8M0) {
    bits = scaledBits(e, e.i32(1), e.sub(expField, f.getBias()), subnormals);
  } else {
    // value = sig * 2^(max(exp, 1) - bias - man), the hidden bit on normals.
    Value isSubnormal = e.cmp(Pred::eq, expField, 0);
    Value sig = e.select(isSubnormal, manField, e.orI(manField, int64_t(1) << man));
    Value k = e.sub(e.maxS(expField, 1), f.getBias() + int64_t(man));
    bits = scaledBits(e, sig, k, subnormals);
  }
  bits = decodeSpecials(e, f, code, mag, expField, manField, bits);
  if (f.isSigned())
    bits = e.orI(bits, e.shl(e.andI(e.shrU(code, magWidth), 1), 31));
  return e.floatOf(bits);
}

Value decodeInt(Emitter &e, Value code, const IntFormat &f) {
  unsigned bits = f.getBitWidth();
  if (!f.isSigned())
    return e.uiToF32(e.andI(code, (int64_t(1) << bits) - 1));
  return e.siToF32(e.shrS(e.shl(code, 32 - bits), 32 - bits));
}

/// A select tree over the code bits: entry i where the low bits are i.
Value decodeTable(Emitter &e, Value code, const TableFormat &f) {
  SmallVector<Value> level;
  for (float v : f.getValues())
    level.push_back(e.f32(v));
  for (unsigned bit = 0; level.size() > 1; ++bit) {
    Value set = e.cmp(Pred::ne, e.andI(code, int64_t(1) << bit), 0);
    SmallVector<Value> next;
    for (size_t i = 0; i + 1 < level.size(); i += 2)
      next.push_back(e.select(set, level[i + 1], level[i]));
    level = std::move(next);
  }
  return level.front();
}

//===----------------------------------------------------------------------===//
// Minifloat encoder
//===----------------------------------------------------------------------===//

/// Codes of the inputs whose result does not come from rounding, taken from
/// lib/Format for the given rounding and overflow.
struct SpecialCodes {
  int64_t maxMag;           // largest finite magnitude code
  int64_t nanPos, nanNeg;   // NaN input, by sign
  int64_t infPos, infNeg;   // +-Inf input
  int64_t overPos, overNeg; // finite input rounding beyond the largest value
  int64_t negative;         // negative non-zero input to an unsigned format
};

SpecialCodes getSpecialCodes(const FloatFormat &f, Rounding rounding, Overflow overflow) {
  double inf = std::numeric_limits<double>::infinity();
  double nan = std::numeric_limits<double>::quiet_NaN();
  double beyond = std::ldexp(f.getMaxFinite(), 2); // overflows under any rounding
  int64_t magMask = (int64_t(1) << (f.getExpBits() + f.getManBits())) - 1;
  SpecialCodes c;
  c.maxMag = f.encode(inf, Rounding::NearestEven, Overflow::Saturate) & magMask;
  c.nanPos = f.encode(nan, rounding, overflow);
  c.nanNeg = f.encode(std::copysign(nan, -1.0), rounding, overflow);
  c.infPos = f.encode(inf, rounding, overflow);
  c.infNeg = f.encode(-inf, rounding, overflow);
  c.overPos = f.encode(beyond, rounding, overflow);
  c.overNeg = f.encode(-beyond, rounding, overflow);
  c.negative = f.encode(-1.0, rounding, overflow);
  return c;
}

/// An f32 split as sign, magnitude bits and |x| = sig * 2^q, with ilog =
/// floor(log2 |x|) for non-zero finite x.
struct F32Parts {
  Value negative;     // i1: the sign bit
  Value signBit;      // i32: 0 or 1
  Value absBits;      // i32: the bits of |x|
  Value sig, q, ilog; // i32
};

/// With `normalize`, f32 subnormals are normalized (sig in [2^23, 2^24)) so
/// that ilog is exact for them too; otherwise ilog is -127 for all of them.
F32Parts splitF32(Emitter &e, Value x, bool normalize) {
  F32Parts p;
  Value bits = e.bitsOf(x);
  p.signBit = e.shrU(bits, 31);
  p.negative = e.cmp(Pred::ne, p.signBit, 0);
  p.absBits = e.andI(bits, kF32AbsMask);
  Value expField = e.shrU(p.absBits, kF32ManBits);
  Value hidden = e.select(e.cmp(Pred::ne, expField, 0), kF32Hidden, e.i32(0));
  p.sig = e.orI(e.andI(p.absBits, kF32ManMask), hidden);
  p.q = e.sub(e.maxS(expField, 1), kF32Bias + kF32ManBits);
  if (!normalize) {
    p.ilog = e.sub(expField, kF32Bias);
    return p;
  }
  Value norm = e.sub(e.countLeadingZeros(p.sig), 31 - kF32ManBits); // 0 on normals
  p.sig = e.shl(p.sig, norm);
  p.q = e.sub(p.q, norm);
  p.ilog = e.add(p.q, kF32ManBits);
  return p;
}

/// 0/1: whether sig / 2^shift (shift in [1, 31]) rounds away from zero, the
/// truncated quotient's code having parity `odd` (i1) and sign `negative`.
Value roundingIncrement(Emitter &e, Rounding rounding, Value sig, Value shift, Value odd,
                        Value negative) {
  Value rem = e.andI(sig, e.sub(e.shl(e.i32(1), shift), 1));
  Value half = e.shl(e.i32(1), e.sub(shift, 1));
  Value inexact = e.cmp(Pred::ne, rem, 0);
  switch (rounding) {
  case Rounding::NearestEven: {
    Value tieOdd = e.both(e.cmp(Pred::eq, rem, half), odd);
    return e.zext(e.either(e.cmp(Pred::ugt, rem, half), tieOdd));
  }
  case Rounding::NearestAway:
    return e.zext(e.cmp(Pred::uge, rem, half));
  case Rounding::TowardZero:
    return e.i32(0);
  case Rounding::Up: // away from zero for positive values
    return e.select(negative, e.i32(0), e.zext(inexact));
  case Rounding::Down: // away from zero for negative values
    return e.select(negative, e.zext(inexact), e.i32(0));
  }
  llvm_unreachable("unknown rounding");
}

/// The code magnitude of the rounded |x|, unbounded above (codes past the
/// largest finite one mean overflow).
Value roundedMagnitude(Emitter &e, const FloatFormat &f, const F32Parts &p, Rounding rounding) {
  unsigned man = f.getManBits();
  // A shift of 25 or more leaves only rounding bits of a 24-bit sig.
  auto quotient = [&](Value exp) { return e.minS(e.sub(e.sub(exp, man), p.q), 25); };
  if (f.getVariant() == FloatVariant::E8M0) {
    // Powers of two 2^(code - bias), no zero: code ilog + bias, or the next
    // one; a tie goes to the even code; anything below code 0 is code 0.
    Value shift = quotient(p.ilog);
    Value base = e.add(p.ilog, f.getBias());
    Value odd = e.cmp(Pred::ne, e.andI(base, 1), 0);
    Value inc = roundingIncrement(e, rounding, p.sig, shift, odd, p.negative);
    return e.maxS(e.add(base, inc), 0);
  }
  // Quantum 2^(exp - man) with exp = max(ilog, 1 - bias): n = |x| / quantum
  // rounded, code = ((exp - expMin) << man) + n (n may carry to 2^(man+1)).
  int64_t expMin = 1 - f.getBias();
  Value exp = e.maxS(p.ilog, expMin);
  Value shift = quotient(exp);
  Value truncated = e.shrU(p.sig, shift);
  Value odd = e.cmp(Pred::ne, e.andI(truncated, 1), 0);
  Value inc = roundingIncrement(e, rounding, p.sig, shift, odd, p.negative);
  Value binade = e.shl(e.sub(exp, expMin), man);
  return e.add(binade, e.add(truncated, inc));
}

Value encodeFloat(Emitter &e, Value x, const FloatFormat &f, Rounding rounding, Overflow overflow) {
  bool isE8M0 = f.getVariant() == FloatVariant::E8M0;
  int lowestExp = isE8M0 ? -f.getBias() : 1 - f.getBias();
  F32Parts p = splitF32(e, x, /*normalize=*/lowestExp < kF32MinNormalExp);
  SpecialCodes c = getSpecialCodes(f, rounding, overflow);
  unsigned magWidth = f.getExpBits() + f.getManBits();

  Value mag = roundedMagnitude(e, f, p, rounding);
  Value code = mag;
  if (f.isSigned()) {
    code = e.orI(e.shl(p.signBit, magWidth), mag);
    if (!f.hasNegativeZero()) // FNUZ: a zero result is +0
      code = e.select(e.cmp(Pred::eq, mag, 0), 0, code);
  }
  Value overflowed = e.cmp(Pred::sgt, mag, c.maxMag);
  code = e.select(overflowed, e.selectConst(p.negative, c.overNeg, c.overPos), code);
  Value isInf = e.cmp(Pred::eq, p.absBits, kF32Inf);
  code = e.select(isInf, e.selectConst(p.negative, c.infNeg, c.infPos), code);
  if (!f.isSigned()) {
    Value negNonZero = e.both(p.negative, e.cmp(Pred::ne, p.absBits, 0));
    code = e.select(negNonZero, c.negative, code);
  }
  Value isNaN = e.cmp(Pred::ugt, p.absBits, kF32Inf);
  return e.select(isNaN, e.selectConst(p.negative, c.nanNeg, c.nanPos), code);
}

//===----------------------------------------------------------------------===//
// Integer and codebook encoders
//===----------------------------------------------------------------------===//

Value encodeInt(Emitter &e, Value x, const IntFormat &f, Rounding rounding, int64_t lo,
                int64_t hi) {
  // NaN encodes as 0 clamped into [lo, hi]: round 0 instead.
  Value v = e.select(e.isNaN(x), e.f32(0.0f), x);
  v = e.roundToIntegral(v, rounding);
  v = e.fmin(e.fmax(v, float(lo)), float(hi)); // exact: |lo|, |hi| <= 2^16
  return e.andI(e.f32ToSI(v), (int64_t(1) << f.getBitWidth()) - 1);
}

/// Order-preserving integer key of a float (-0 and +0 share key 0).
int64_t floatKey(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return (u >> 31) ? -int64_t(u & 0x7FFFFFFFu) : int64_t(u);
}
float keyFloat(int64_t k) {
  uint32_t u = k < 0 ? uint32_t(-k) | 0x80000000u : uint32_t(k);
  float v;
  std::memcpy(&v, &u, sizeof v);
  return v;
}

/// The smallest f32 x in (values[i], values[i + 1]] that lib/Format encodes
/// above entry i (a binary search; the choice is monotone between entries).
float tableThreshold(const TableFormat &f, unsigned i) {
  int64_t lo = floatKey(f.getValues()[i]), hi = floatKey(f.getValues()[i + 1]);
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    if (f.encode(double(keyFloat(mid))) > i)
      hi = mid;
    else
      lo = mid;
  }
  return keyFloat(hi);
}

/// Nearest entry: the number of entry boundaries x is at or beyond.
Value encodeTable(Emitter &e, Value x, const TableFormat &f) {
  Value code = e.i32(0);
  for (unsigned i = 0; i + 1 < f.getNumCodes(); ++i)
    code = e.add(code, e.zext(e.fcmpOGE(x, tableThreshold(f, i))));
  int64_t nanCode = f.encode(std::numeric_limits<double>::quiet_NaN());
  return e.select(e.isNaN(x), nanCode, code);
}

} // namespace

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

LogicalResult mlir::qopt::checkCodecSupport(const ElementFormat &format, std::string *reason) {
  std::string why = checkFormat(format);
  if (reason)
    *reason = why;
  return success(why.empty());
}

Value mlir::qopt::emitDecode(OpBuilder &b, Location loc, Value code, const ElementFormat &format) {
  if (!checkOperand(loc, format, code.getType(), /*isCode=*/true))
    return nullptr;
  Emitter e(b, loc, code.getType());
  Value c = e.toI32(code);
  if (format.isInt())
    return decodeInt(e, c, format.getInt());
  if (format.isFloat())
    return decodeFloat(e, c, format.getFloat());
  return decodeTable(e, c, format.getTable());
}

Value mlir::qopt::emitEncode(OpBuilder &b, Location loc, Value value, const ElementFormat &format,
                             Rounding rounding, Overflow overflow,
                             std::optional<std::pair<int64_t, int64_t>> intRange) {
  if (!checkOperand(loc, format, value.getType(), /*isCode=*/false))
    return nullptr;
  if (intRange && (!format.isInt() || intRange->first > intRange->second)) {
    emitError(loc) << "cannot emit the encoder of " << format.getName()
                   << ": an integer range needs an integer format and lo <= hi";
    return nullptr;
  }
  Emitter e(b, loc, value.getType());
  if (format.isFloat())
    return encodeFloat(e, value, format.getFloat(), rounding, overflow);
  if (format.isTable())
    return encodeTable(e, value, format.getTable());
  const IntFormat &f = format.getInt();
  // Clamping to [lo, hi] and then to the format's range (IntFormat::encode)
  // is clamping to the intersection, which is small enough to be exact.
  int64_t lo = f.getMin(), hi = f.getMax();
  if (intRange) {
    lo = std::clamp(intRange->first, f.getMin(), f.getMax());
    hi = std::clamp(intRange->second, f.getMin(), f.getMax());
  }
  return encodeInt(e, value, f, rounding, lo, hi);
}
