//===- FormatBridge.cpp - MLIR types <-> lib/Format descriptors ------------===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/IR/FormatBridge.h"

#include <cstring>

#include "qopt/Dialect/QOpt/IR/QOptTypes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/BuiltinDialect.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::qopt;
namespace fmt = ::qopt::format;

std::optional<fmt::ElementFormat> mlir::qopt::getElementFormat(Type type) {
  if (auto mf = dyn_cast<MiniFloatType>(type)) {
    auto f = fmt::ElementFormat::parse(mf.getSpec().str());
    if (!f || !f->isFloat())
      return std::nullopt;
    return f;
  }
  if (auto cb = dyn_cast<CodebookType>(type)) {
    ArrayRef<float> raw = cb.getValues().asArrayRef();
    if (raw.size() != 16)
      return std::nullopt;
    std::array<float, 16> values;
    std::copy(raw.begin(), raw.end(), values.begin());
    fmt::TableFormat nf4 = fmt::TableFormat::nf4();
    if (values == nf4.getValues())
      return fmt::ElementFormat(nf4);
    return fmt::ElementFormat(fmt::TableFormat(values));
  }
  if (auto it = dyn_cast<IntegerType>(type)) {
    if (it.getWidth() < 2 || it.getWidth() > 16)
      return std::nullopt;
    return fmt::ElementFormat(fmt::IntFormat(it.getWidth(), !it.isUnsigned()));
  }
  if (isa<FloatType>(type)) {
    std::string name;
    llvm::raw_string_ostream os(name);
    type.print(os);
    return fmt::ElementFormat::parse(name);
  }
  return std::nullopt;
}

Type mlir::qopt::getTypeFor(MLIRContext *context, const fmt::ElementFormat &format) {
  if (format.isInt()) {
    const fmt::IntFormat &i = format.getInt();
    return IntegerType::get(context, i.getBitWidth(),
                            i.isSigned() ? IntegerType::Signless : IntegerType::Unsigned);
  }
  if (format.isTable()) {
    const auto &v = format.getTable().getValues();
    return CodebookType::get(
        context, DenseF32ArrayAttr::get(context, llvm::ArrayRef<float>(v.data(), v.size())));
  }
  std::string name = format.getName();
  Builder b(context);
  if (name == "f8E4M3FN") return b.getType<Float8E4M3FNType>();
  if (name == "f8E4M3") return b.getType<Float8E4M3Type>();
  if (name == "f8E5M2") return b.getType<Float8E5M2Type>();
  if (name == "f8E4M3FNUZ") return b.getType<Float8E4M3FNUZType>();
  if (name == "f8E5M2FNUZ") return b.getType<Float8E5M2FNUZType>();
  if (name == "f8E4M3B11FNUZ") return b.getType<Float8E4M3B11FNUZType>();
  if (name == "f8E3M4") return b.getType<Float8E3M4Type>();
  if (name == "f6E2M3FN") return b.getType<Float6E2M3FNType>();
  if (name == "f6E3M2FN") return b.getType<Float6E3M2FNType>();
  if (name == "f4E2M1FN") return b.getType<Float4E2M1FNType>();
  if (name == "f8E8M0FNU") return b.getType<Float8E8M0FNUType>();
  if (name == "f16") return b.getF16Type();
  if (name == "bf16") return b.getBF16Type();
  if (name == "f32") return b.getF32Type();
  return MiniFloatType::get(context, name);
}

IntegerType mlir::qopt::getCodeType(MLIRContext *context, unsigned bits) {
  return IntegerType::get(context, bits);
}

std::optional<std::vector<float>> mlir::qopt::getFloatValues(Attribute attr) {
  if (auto dense = dyn_cast_or_null<DenseFPElementsAttr>(attr)) {
    std::vector<float> out;
    out.reserve(dense.getNumElements());
    for (const APFloat &v : dense.getValues<APFloat>()) {
      bool lost;
      APFloat f = v;
      f.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
      out.push_back(f.convertToFloat());
    }
    return out;
  }
  if (auto res = dyn_cast_or_null<DenseF32ResourceElementsAttr>(attr))
    if (auto data = res.tryGetAsArrayRef())
      return std::vector<float>(data->begin(), data->end());
  // f16 / bf16 blobs: read their 16-bit patterns and widen exactly.
  if (auto res = dyn_cast_or_null<DenseResourceElementsAttr>(attr)) {
    Type elem = res.getType().getElementType();
    if (!elem.isF16() && !elem.isBF16())
      return std::nullopt;
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    ArrayRef<char> bytes = blob->getData();
    int64_t n = res.getType().getNumElements();
    if (int64_t(bytes.size()) != 2 * n)
      return std::nullopt;
    const llvm::fltSemantics &sem =
        elem.isF16() ? APFloat::IEEEhalf() : APFloat::BFloat();
    std::vector<float> out(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      uint16_t bits;
      std::memcpy(&bits, bytes.data() + 2 * i, 2);
      APFloat v(sem, APInt(16, bits));
      bool lost;
      v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
      out[size_t(i)] = v.convertToFloat();
    }
    return out;
  }
  return std::nullopt;
}
