//===- QOptFolders.cpp - constant folding through lib/Format ---------------===//
//
// Part of qopt. quantize(constant) -> packed dense_resource bytes (bit-exact,
// by lib/Format); dequantize / codes / scales / zero_points / tensor_scale of
// such a constant fold to builtin dense constants.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "qopt/Dialect/QOpt/IR/FormatBridge.h"
#include "qopt/Format/Packing.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
using namespace mlir::qopt;
namespace fmt = ::qopt::format;

static std::vector<int64_t> shapeOf(ShapedType t) {
  return std::vector<int64_t>(t.getShape().begin(), t.getShape().end());
}

/// The unpacked contents of a folded quantized constant.
static std::optional<fmt::QuantizedTensor> getQuantized(Attribute attr, RankedTensorType type) {
  auto res = dyn_cast_or_null<DenseResourceElementsAttr>(attr);
  if (!res || res.getType() != type)
    return std::nullopt;
  AsmResourceBlob *blob = res.getRawHandle().getBlob();
  if (!blob)
    return std::nullopt;
  ArrayRef<char> data = blob->getData();
  auto format = cast<FormatType>(type.getElementType()).getTensorFormat();
  return fmt::deserialize(format, shapeOf(type),
                          reinterpret_cast<const uint8_t *>(data.data()), data.size());
}

/// A dense constant of `type` from raw codes: integers take the code bits,
/// floats the code as their bit pattern.
static DenseElementsAttr codesToDense(RankedTensorType type, ArrayRef<uint32_t> codes) {
  Type e = type.getElementType();
  unsigned width = e.getIntOrFloatBitWidth();
  SmallVector<APInt> bits;
  bits.reserve(codes.size());
  for (uint32_t c : codes)
    bits.push_back(APInt(width, c));
  if (auto ft = dyn_cast<FloatType>(e)) {
    SmallVector<APFloat> values;
    values.reserve(bits.size());
    for (const APInt &b : bits)
      values.push_back(APFloat(ft.getFloatSemantics(), b));
    return DenseElementsAttr::get(type, values);
  }
  return DenseElementsAttr::get(type, bits);
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult QuantizeOp::fold(FoldAdaptor adaptor) {
  if (getScales()) // explicit scales: lowered, not folded
    return {};
  std::optional<std::vector<float>> values = getFloatValues(adaptor.getInput());
  if (!values)
    return {};
  auto type = cast<RankedTensorType>(getType());
  fmt::TensorFormat format = cast<FormatType>(type.getElementType()).getTensorFormat();
  fmt::QuantizeOptions options;
  options.rounding = fmt::Rounding(static_cast<int>(getRounding()));
  options.scaleMode = fmt::ScaleMode(static_cast<int>(getScaleMode()));
  options.overflow = getSaturate() ? fmt::Overflow::Saturate : fmt::Overflow::Special;
  fmt::QuantizedTensor q = fmt::quantize(format, values->data(), shapeOf(type), options);
  std::vector<uint8_t> bytes = fmt::serialize(format, q);
  ArrayRef<char> data(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  return DenseResourceElementsAttr::get(
      type, "qopt_quantized", HeapAsmResourceBlob::allocateAndCopyWithAlign(data, 8));
}

OpFoldResult DequantizeOp::fold(FoldAdaptor adaptor) {
  auto inType = cast<RankedTensorType>(getInput().getType());
  std::optional<fmt::QuantizedTensor> q = getQuantized(adaptor.getInput(), inType);
  if (!q)
    return {};
  fmt::TensorFormat format = cast<FormatType>(inType.getElementType()).getTensorFormat();
  std::vector<float> out(q->codes.size());
  fmt::dequantize(format, *q, out.data());
  auto type = cast<RankedTensorType>(getType());
  auto ft = cast<FloatType>(type.getElementType());
  SmallVector<APFloat> values;
  values.reserve(out.size());
  for (float v : out) {
    APFloat f(v);
    bool lost;
    f.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    values.push_back(f);
  }
  return DenseElementsAttr::get(type, values);
}

OpFoldResult CodesOp::fold(FoldAdaptor adaptor) {
  auto q = getQuantized(adaptor.getInput(), cast<RankedTensorType>(getInput().getType()));
  if (!q)
    return {};
  return codesToDense(cast<RankedTensorType>(getType()), q->codes);
}

OpFoldResult ScalesOp::fold(FoldAdaptor adaptor) {
  auto q = getQuantized(adaptor.getInput(), cast<RankedTensorType>(getInput().getType()));
  if (!q)
    return {};
  return codesToDense(cast<RankedTensorType>(getType()), q->scaleCodes);
}

OpFoldResult ZeroPointsOp::fold(FoldAdaptor adaptor) {
  auto q = getQuantized(adaptor.getInput(), cast<RankedTensorType>(getInput().getType()));
  if (!q)
    return {};
  return codesToDense(cast<RankedTensorType>(getType()), q->zeroPointCodes);
}

OpFoldResult TensorScaleOp::fold(FoldAdaptor adaptor) {
  auto q = getQuantized(adaptor.getInput(), cast<RankedTensorType>(getInput().getType()));
  if (!q || !q->tensorScale)
    return {};
  auto type = cast<RankedTensorType>(getType());
  APFloat f(*q->tensorScale);
  bool lost;
  f.convert(cast<FloatType>(type.getElementType()).getFloatSemantics(),
            APFloat::rmNearestTiesToEven, &lost);
  return DenseElementsAttr::get(type, ArrayRef<APFloat>{f});
}
