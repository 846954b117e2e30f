//===- ScaleCodecs.cpp - IR for scale values in their storage types --------===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#include "qopt/Conversion/Codecs/ScaleCodecs.h"

#include "qopt/Conversion/Codecs/ScalarCodecs.h"
#include "qopt/Format/ElementFormat.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
namespace fmt = ::qopt::format;

namespace {
/// Builtin IEEE storage (f32, f16, bf16): converted with arith, not codecs.
bool isNativeIEEE(const fmt::FloatFormat &f) {
  unsigned e = f.getExpBits(), m = f.getManBits();
  return f.hasInf() && f.isSigned() && ((e == 8 && m == 23) || (e == 5 && m == 10) || (e == 8 && m == 7));
}
} // namespace

bool mlir::qopt::isScaleStorageSupported(const fmt::FloatFormat &format) {
  if (isNativeIEEE(format))
    return true;
  return succeeded(checkCodecSupport(fmt::ElementFormat(format)));
}

Value mlir::qopt::emitExtendToF32(OpBuilder &b, Location loc, Value v) {
  if (v.getType().isF32())
    return v;
  return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
}

Value mlir::qopt::emitDecodeScale(OpBuilder &b, Location loc, Value s,
                                  const fmt::FloatFormat &format) {
  Type t = s.getType();
  if (t.isF32() || t.isF16() || t.isBF16())
    return emitExtendToF32(b, loc, s);
  Value bits = s;
  if (isa<FloatType>(t))
    bits = arith::BitcastOp::create(b, loc, b.getIntegerType(t.getIntOrFloatBitWidth()), s);
  return emitDecode(b, loc, bits, fmt::ElementFormat(format));
}

Value mlir::qopt::emitEncodeScale(OpBuilder &b, Location loc, Value value,
                                  const fmt::FloatFormat &format, Type storage) {
  if (storage.isF32() || storage.isF16() || storage.isBF16()) {
    // Saturate first (NaN stays NaN); truncf then rounds to nearest even
    // like lib/Format.
    Value max = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(float(format.getMaxFinite())));
    Value negMax = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(-float(format.getMaxFinite())));
    Value v = arith::MaximumFOp::create(b, loc, arith::MinimumFOp::create(b, loc, value, max), negMax);
    if (storage.isF32())
      return v;
    return arith::TruncFOp::create(b, loc, storage, v);
  }
  Value code = emitEncode(b, loc, value, fmt::ElementFormat(format), fmt::Rounding::NearestEven,
                          fmt::Overflow::Saturate);
  unsigned width = storage.getIntOrFloatBitWidth();
  Value bits = arith::TruncIOp::create(b, loc, b.getIntegerType(width), code);
  if (isa<FloatType>(storage))
    return arith::BitcastOp::create(b, loc, storage, bits);
  return bits;
}
