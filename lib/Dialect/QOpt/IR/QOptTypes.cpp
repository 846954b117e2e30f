//===- QOptTypes.cpp - format-aware types ----------------------------------===//
//
// Part of qopt. Verifiers ask lib/Format; parsing/printing is syntax only.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptTypes.h"

#include "qopt/Dialect/QOpt/IR/FormatBridge.h"
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"
#include "qopt/Format/TableFormat.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::qopt;
namespace fmt = ::qopt::format;

#define GET_TYPEDEF_CLASSES
#include "qopt/Dialect/QOpt/IR/QOptTypes.cpp.inc"

void QOptDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "qopt/Dialect/QOpt/IR/QOptTypes.cpp.inc"
      >();
}

Type QOptDialect::parseType(DialectAsmParser &parser) const {
  SMLoc loc = parser.getCurrentLocation();
  StringRef mnemonic;
  Type type;
  OptionalParseResult result = generatedTypeParser(parser, &mnemonic, type);
  if (result.has_value())
    return succeeded(*result) ? type : Type();
  // A preset name: !qopt.mxfp4, !qopt.int4_g128, ...
  std::string error;
  if (auto format = fmt::TensorFormat::parse(mnemonic.str(), error);
      format && format->getPresetName())
    if (FormatType t = FormatType::get(getContext(), *format))
      return t;
  parser.emitError(loc) << "unknown qopt type or format preset '" << mnemonic << "'";
  return Type();
}

void QOptDialect::printType(Type type, DialectAsmPrinter &printer) const {
  if (failed(generatedTypePrinter(type, printer)))
    llvm_unreachable("unknown qopt type");
}

//===----------------------------------------------------------------------===//
// MiniFloatType
//===----------------------------------------------------------------------===//

LogicalResult MiniFloatType::verify(function_ref<InFlightDiagnostic()> emitError,
                                    StringRef spec) {
  auto f = fmt::ElementFormat::parse(spec.str());
  if (!f || !f->isFloat())
    return emitError() << "'" << spec << "' is not a minifloat format (expected "
                       << "[u]e<E>m<M>[_fn|_fnuz|_ieee|_finite][_b<bias>])";
  std::string canonical = f->getName();
  if (canonical[0] == 'f' || canonical == "bf16")
    return emitError() << "'" << spec << "' has the builtin type " << canonical
                       << "; use it";
  if (canonical != spec)
    return emitError() << "non-canonical minifloat spelling '" << spec << "'; write '"
                       << canonical << "'";
  return success();
}

//===----------------------------------------------------------------------===//
// CodebookType
//===----------------------------------------------------------------------===//

LogicalResult CodebookType::verify(function_ref<InFlightDiagnostic()> emitError,
                                   DenseF32ArrayAttr valuesAttr) {
  if (!valuesAttr)
    return emitError() << "a codebook needs its values";
  ArrayRef<float> values = valuesAttr.asArrayRef();
  std::string error =
      fmt::TableFormat::validate(std::vector<double>(values.begin(), values.end()));
  if (!error.empty())
    return emitError() << error;
  return success();
}

Type CodebookType::parse(AsmParser &parser) {
  if (parser.parseLess())
    return {};
  SmallVector<float> values;
  if (succeeded(parser.parseOptionalKeyword("nf4"))) {
    const std::array<float, 16> v = fmt::TableFormat::nf4().getValues();
    values.assign(v.begin(), v.end());
  } else {
    auto parseOne = [&]() -> ParseResult {
      double d;
      if (parser.parseFloat(d))
        return failure();
      values.push_back(float(d));
      return success();
    };
    if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, parseOne))
      return {};
  }
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(parser.getNameLoc()); },
                    parser.getContext(), DenseF32ArrayAttr::get(parser.getContext(), values));
}

void CodebookType::print(AsmPrinter &printer) const {
  const std::array<float, 16> nf4 = fmt::TableFormat::nf4().getValues();
  ArrayRef<float> values = getValues().asArrayRef();
  if (values.size() == 16 && std::equal(nf4.begin(), nf4.end(), values.begin())) {
    printer << "<nf4>";
    return;
  }
  printer << "<[";
  llvm::interleaveComma(values, printer, [&](float v) {
    printer << llvm::APFloat(v);
  });
  printer << "]>";
}

//===----------------------------------------------------------------------===//
// FormatType
//===----------------------------------------------------------------------===//

static fmt::Granularity granularityOf(ArrayRef<int64_t> block, ArrayRef<int64_t> axes,
                                      std::optional<int64_t> channel) {
  if (channel)
    return fmt::Granularity::perAxis(*channel);
  if (block.empty() && axes.empty())
    return fmt::Granularity::perTensor();
  return fmt::Granularity::blocks(axes.vec(), block.vec());
}

LogicalResult FormatType::verify(function_ref<InFlightDiagnostic()> emitError, Type element,
                                 Type scale, ArrayRef<int64_t> block, ArrayRef<int64_t> axes,
                                 std::optional<int64_t> channel, Type tensorScale,
                                 Type zeroPoint) {
  auto elementFormat = getElementFormat(element);
  if (!elementFormat)
    return emitError() << "element type " << element
                       << " is not a quantized encoding (an integer of 2..16 bits, a "
                          "minifloat or a codebook)";
  auto scaleFormat = getElementFormat(scale);
  if (!scaleFormat || !scaleFormat->isFloat())
    return emitError() << "scale type " << scale << " is not a floating-point encoding";
  std::optional<fmt::FloatFormat> tensorScaleFormat;
  if (tensorScale) {
    auto f = getElementFormat(tensorScale);
    if (!f || !f->isFloat())
      return emitError() << "tensor scale type " << tensorScale
                         << " is not a floating-point encoding";
    tensorScaleFormat = f->getFloat();
  }
  std::optional<fmt::IntFormat> zeroPointFormat;
  if (zeroPoint) {
    auto f = getElementFormat(zeroPoint);
    if (!f || !f->isInt())
      return emitError() << "zero point type " << zeroPoint << " is not an integer";
    zeroPointFormat = f->getInt();
  }
  if (channel && (!block.empty() || !axes.empty()))
    return emitError() << "'channel' (per-axis scales) excludes 'block' and 'axes'";
  if (block.size() != axes.size())
    return emitError() << "block has " << block.size() << " sizes but " << axes.size()
                       << " axes";
  std::string error = fmt::TensorFormat::verify(
      *elementFormat, scaleFormat->getFloat(), granularityOf(block, axes, channel),
      tensorScaleFormat, zeroPointFormat);
  if (!error.empty())
    return emitError() << error;
  return success();
}

fmt::TensorFormat FormatType::getTensorFormat() const {
  std::optional<fmt::FloatFormat> ts;
  if (getTensorScale())
    ts = getElementFormat(getTensorScale())->getFloat();
  std::optional<fmt::IntFormat> zp;
  if (getZeroPoint())
    zp = getElementFormat(getZeroPoint())->getInt();
  return fmt::TensorFormat(*getElementFormat(getElement()),
                           getElementFormat(getScale())->getFloat(),
                           granularityOf(getBlock(), getAxes(), getChannel()), ts, zp);
}

FormatType FormatType::get(MLIRContext *context, const fmt::TensorFormat &format) {
  const fmt::Granularity &g = format.getGranularity();
  std::optional<int64_t> channel;
  SmallVector<int64_t> block, axes;
  if (g.kind == fmt::Granularity::Kind::Axis)
    channel = g.axes[0];
  else if (g.kind == fmt::Granularity::Kind::Block) {
    block.assign(g.sizes.begin(), g.sizes.end());
    axes.assign(g.axes.begin(), g.axes.end());
  }
  Type ts = format.getTensorScale() ? getTypeFor(context, *format.getTensorScale()) : Type();
  Type zp = format.getZeroPoint() ? getTypeFor(context, *format.getZeroPoint()) : Type();
  return FormatType::get(context, getTypeFor(context, format.getElement()),
                         getTypeFor(context, format.getScale()), block, axes, channel, ts, zp);
}

LogicalResult FormatType::verifyShape(ArrayRef<int64_t> shape,
                                      function_ref<InFlightDiagnostic()> emitError) const {
  std::string error = getTensorFormat().verifyShape(shape.vec());
  if (!error.empty())
    return emitError() << "format " << *this << ": " << error;
  return success();
}

SmallVector<int64_t> FormatType::getScaleShape(ArrayRef<int64_t> shape) const {
  std::vector<int64_t> s = getTensorFormat().getScaleShape(shape.vec());
  return SmallVector<int64_t>(s.begin(), s.end());
}

unsigned FormatType::getElementBitWidth() const {
  return getElementFormat(getElement())->getBitWidth();
}

Type FormatType::parse(AsmParser &parser) {
  MLIRContext *ctx = parser.getContext();
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess())
    return {};
  std::string preset;
  if (succeeded(parser.parseOptionalString(&preset))) {
    if (parser.parseGreater())
      return {};
    std::string error;
    auto format = fmt::TensorFormat::parse(preset, error);
    if (!format) {
      parser.emitError(loc) << error;
      return {};
    }
    return FormatType::get(ctx, *format);
  }
  Type element, scale, tensorScale, zeroPoint;
  SmallVector<int64_t> block, axes;
  std::optional<int64_t> channel;
  if (parser.parseType(element) || parser.parseComma() || parser.parseKeyword("scale") ||
      parser.parseEqual() || parser.parseType(scale))
    return {};
  auto parseList = [&](SmallVector<int64_t> &out) -> ParseResult {
    return parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&]() {
      int64_t v;
      if (parser.parseInteger(v))
        return failure();
      out.push_back(v);
      return success();
    });
  };
  while (succeeded(parser.parseOptionalComma())) {
    StringRef key;
    SMLoc keyLoc = parser.getCurrentLocation();
    if (parser.parseKeyword(&key) || parser.parseEqual())
      return {};
    if (key == "block") {
      if (parseList(block))
        return {};
    } else if (key == "axes") {
      if (parseList(axes))
        return {};
    } else if (key == "channel") {
      int64_t c;
      if (parser.parseInteger(c))
        return {};
      channel = c;
    } else if (key == "tensor_scale") {
      if (parser.parseType(tensorScale))
        return {};
    } else if (key == "zero_point") {
      if (parser.parseType(zeroPoint))
        return {};
    } else {
      parser.emitError(keyLoc) << "unknown format parameter '" << key
                               << "' (expected block, axes, channel, tensor_scale, zero_point)";
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  if (!block.empty() && axes.empty()) // default: the trailing axes
    for (size_t i = 0; i < block.size(); ++i)
      axes.push_back(-int64_t(block.size()) + int64_t(i));
  return getChecked([&] { return parser.emitError(loc); }, ctx, element, scale, block, axes,
                    channel, tensorScale, zeroPoint);
}

void FormatType::print(AsmPrinter &printer) const {
  printer << "<" << getElement() << ", scale = " << getScale();
  if (!getBlock().empty()) {
    printer << ", block = [";
    llvm::interleaveComma(getBlock(), printer);
    printer << "], axes = [";
    llvm::interleaveComma(getAxes(), printer);
    printer << "]";
  }
  if (getChannel())
    printer << ", channel = " << *getChannel();
  if (getTensorScale())
    printer << ", tensor_scale = " << getTensorScale();
  if (getZeroPoint())
    printer << ", zero_point = " << getZeroPoint();
  printer << ">";
}
