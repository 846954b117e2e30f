//===- Tensors.cpp - ONNX TensorProto -> MLIR constants --------------------===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#include "Tensors.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qopt::onnx_import;

std::string mlir::qopt::onnx_import::dtypeName(int32_t dt) {
  switch (dt) {
  case dtype::Float: return "FLOAT";
  case dtype::UInt8: return "UINT8";
  case dtype::Int8: return "INT8";
  case dtype::UInt16: return "UINT16";
  case dtype::Int16: return "INT16";
  case dtype::Int32: return "INT32";
  case dtype::Int64: return "INT64";
  case dtype::String: return "STRING";
  case dtype::Bool: return "BOOL";
  case dtype::Float16: return "FLOAT16";
  case dtype::Double: return "DOUBLE";
  case dtype::UInt32: return "UINT32";
  case dtype::UInt64: return "UINT64";
  case dtype::BFloat16: return "BFLOAT16";
  case dtype::Float8E4M3FN: return "FLOAT8E4M3FN";
  case dtype::Float8E4M3FNUZ: return "FLOAT8E4M3FNUZ";
  case dtype::Float8E5M2: return "FLOAT8E5M2";
  case dtype::Float8E5M2FNUZ: return "FLOAT8E5M2FNUZ";
  case dtype::UInt4: return "UINT4";
  case dtype::Int4: return "INT4";
  case dtype::Float4E2M1: return "FLOAT4E2M1";
  case dtype::Float8E8M0: return "FLOAT8E8M0";
  case dtype::UInt2: return "UINT2";
  case dtype::Int2: return "INT2";
  }
  return "type #" + std::to_string(dt);
}

bool mlir::qopt::onnx_import::isFloatDType(int32_t dt) {
  return dt == dtype::Float || dt == dtype::Double || dt == dtype::Float16 ||
         dt == dtype::BFloat16;
}

bool mlir::qopt::onnx_import::isUnsignedDType(int32_t dt) {
  return dt == dtype::UInt8 || dt == dtype::UInt16 || dt == dtype::UInt32 ||
         dt == dtype::UInt64 || dt == dtype::Bool;
}

Type mlir::qopt::onnx_import::elementTypeOf(MLIRContext *ctx, int32_t dt) {
  Builder b(ctx);
  switch (dt) {
  case dtype::Float: return b.getF32Type();
  case dtype::Double: return b.getF64Type();
  case dtype::Float16: return b.getF16Type();
  case dtype::BFloat16: return b.getBF16Type();
  case dtype::Bool: return b.getI1Type();
  case dtype::UInt8: case dtype::Int8: return b.getI8Type();
  case dtype::UInt16: case dtype::Int16: return b.getI16Type();
  case dtype::UInt32: case dtype::Int32: return b.getI32Type();
  case dtype::UInt64: case dtype::Int64: return b.getI64Type();
  default:
    if (unsigned bits = lowPrecisionBits(dt))
      return b.getIntegerType(bits); // codes
    return nullptr;
  }
}

unsigned mlir::qopt::onnx_import::lowPrecisionBits(int32_t dt) {
  switch (dt) {
  case dtype::Float8E4M3FN: case dtype::Float8E4M3FNUZ: case dtype::Float8E5M2:
  case dtype::Float8E5M2FNUZ: case dtype::Float8E8M0:
    return 8;
  case dtype::UInt4: case dtype::Int4: case dtype::Float4E2M1:
    return 4;
  case dtype::UInt2: case dtype::Int2:
    return 2;
  default:
    return 0;
  }
}

Type mlir::qopt::onnx_import::lowPrecisionFormatType(MLIRContext *ctx, int32_t dt) {
  Builder b(ctx);
  switch (dt) {
  case dtype::Float8E4M3FN: return b.getType<Float8E4M3FNType>();
  case dtype::Float8E4M3FNUZ: return b.getType<Float8E4M3FNUZType>();
  case dtype::Float8E5M2: return b.getType<Float8E5M2Type>();
  case dtype::Float8E5M2FNUZ: return b.getType<Float8E5M2FNUZType>();
  case dtype::Float8E8M0: return b.getType<Float8E8M0FNUType>();
  case dtype::Float4E2M1: return b.getType<Float4E2M1FNType>();
  case dtype::Int4: return b.getIntegerType(4);
  case dtype::UInt4: return IntegerType::get(ctx, 4, IntegerType::Unsigned);
  case dtype::Int2: return b.getIntegerType(2);
  case dtype::UInt2: return IntegerType::get(ctx, 2, IntegerType::Unsigned);
  default: return nullptr;
  }
}

size_t mlir::qopt::onnx_import::byteWidthOf(int32_t dt) {
  switch (dt) {
  case dtype::Bool: case dtype::UInt8: case dtype::Int8: return 1;
  case dtype::UInt16: case dtype::Int16: case dtype::Float16: case dtype::BFloat16: return 2;
  case dtype::UInt32: case dtype::Int32: case dtype::Float: return 4;
  case dtype::UInt64: case dtype::Int64: case dtype::Double: return 8;
  default: return 0;
  }
}

int64_t ConstTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// Locates and maps external data, refusing anything outside the model's
/// directory (absolute paths, `..`, symlinks that leave it).
static FailureOr<llvm::StringRef>
mapExternal(const onnx::TensorProto &t, llvm::StringRef modelPath, size_t expected,
            std::vector<std::unique_ptr<ExternalData>> &external,
            const std::function<InFlightDiagnostic()> &emitErr) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &kv : t.external_data()) {
    if (kv.key() == "location")
      location = kv.value();
    else if (kv.key() == "offset" || kv.key() == "length") {
      int64_t v;
      if (llvm::StringRef(kv.value()).getAsInteger(10, v) || v < 0)
        return emitErr() << "tensor '" << t.name() << "': bad external data " << kv.key()
                         << " '" << kv.value() << "'";
      (kv.key() == "offset" ? offset : length) = v;
    }
  }
  if (location.empty())
    return emitErr() << "tensor '" << t.name() << "': external data without a location";
  if (llvm::sys::path::is_absolute(location))
    return emitErr() << "tensor '" << t.name() << "': external data location '" << location
                     << "' is absolute; only files inside the model's directory are read";
  for (auto it = llvm::sys::path::begin(location), e = llvm::sys::path::end(location); it != e;
       ++it)
    if (*it == "..")
      return emitErr() << "tensor '" << t.name() << "': external data location '" << location
                       << "' escapes the model's directory";
  llvm::SmallString<256> dir(modelPath);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  llvm::SmallString<256> realDir, realFile, file(dir);
  llvm::sys::path::append(file, location);
  if (llvm::sys::fs::real_path(dir, realDir) || llvm::sys::fs::real_path(file, realFile))
    return emitErr() << "tensor '" << t.name() << "': external data file '" << location
                     << "' not found next to the model";
  llvm::StringRef fileRef = realFile.str(), dirRef = realDir.str();
  if (!fileRef.starts_with(dirRef) || fileRef.size() <= dirRef.size() ||
      !llvm::sys::path::is_separator(fileRef[dirRef.size()]))
    return emitErr() << "tensor '" << t.name() << "': external data location '" << location
                     << "' resolves outside the model's directory";
  uint64_t fileSize;
  if (llvm::sys::fs::file_size(realFile, fileSize))
    return emitErr() << "tensor '" << t.name() << "': cannot stat '" << location << "'";
  uint64_t len = length >= 0 ? uint64_t(length) : fileSize - std::min<uint64_t>(fileSize, offset);
  if (uint64_t(offset) + len > fileSize || len != expected)
    return emitErr() << "tensor '" << t.name() << "': external data (offset " << offset
                     << ", length " << len << ") does not fit '" << location << "' ("
                     << fileSize << " bytes) or the tensor's " << expected << " bytes";
  auto buf = llvm::MemoryBuffer::getFileSlice(realFile, len, offset, /*IsVolatile=*/false);
  if (!buf)
    return emitErr() << "tensor '" << t.name() << "': cannot map '" << location << "'";
  auto ext = std::make_unique<ExternalData>();
  ext->buffer = std::shared_ptr<llvm::MemoryBuffer>(std::move(*buf));
  llvm::StringRef data = ext->buffer->getBuffer();
  external.push_back(std::move(ext));
  return data;
}

/// The tensor's bytes in the MLIR element type's little-endian layout.
static FailureOr<std::string> rawBytes(const onnx::TensorProto &t, int64_t n,
                                       const std::function<InFlightDiagnostic()> &emitErr) {
  int32_t dt = t.data_type();
  size_t w = byteWidthOf(dt);
  std::string out(size_t(n) * w, '\0');
  auto mismatch = [&](size_t have) -> FailureOr<std::string> {
    return emitErr() << "tensor '" << t.name() << "' holds " << have << " values but its shape needs "
                     << n;
  };
  if (t.has_raw_data()) {
    if (t.raw_data().size() != out.size())
      return emitErr() << "tensor '" << t.name() << "' has " << t.raw_data().size()
                       << " raw bytes but its shape and type need " << out.size();
    return t.raw_data();
  }
  switch (dt) {
  case dtype::Float:
    if (t.float_data_size() != n) return mismatch(t.float_data_size());
    std::memcpy(out.data(), t.float_data().data(), out.size());
    break;
  case dtype::Double:
    if (t.double_data_size() != n) return mismatch(t.double_data_size());
    std::memcpy(out.data(), t.double_data().data(), out.size());
    break;
  case dtype::Int64:
    if (t.int64_data_size() != n) return mismatch(t.int64_data_size());
    std::memcpy(out.data(), t.int64_data().data(), out.size());
    break;
  case dtype::UInt32: case dtype::UInt64:
    if (t.uint64_data_size() != n) return mismatch(t.uint64_data_size());
    for (int64_t i = 0; i < n; ++i) {
      uint64_t v = t.uint64_data(int(i));
      std::memcpy(out.data() + i * w, &v, w);
    }
    break;
  default: // int32_data carries everything 32 bits and narrower
    if (t.int32_data_size() != n) return mismatch(t.int32_data_size());
    for (int64_t i = 0; i < n; ++i) {
      int32_t v = t.int32_data(int(i));
      std::memcpy(out.data() + i * w, &v, w);
    }
  }
  return out;
}

static ConstTensor toConst(int32_t dt, std::vector<int64_t> shape, const char *bytes, int64_t n) {
  ConstTensor c;
  c.dtype = dt;
  c.shape = std::move(shape);
  auto read = [&](auto tag, int64_t i) {
    decltype(tag) v;
    std::memcpy(&v, bytes + i * sizeof(v), sizeof(v));
    return v;
  };
  for (int64_t i = 0; i < n; ++i) {
    switch (dt) {
    case dtype::Float: c.floats.push_back(read(float(), i)); break;
    case dtype::Double: c.floats.push_back(read(double(), i)); break;
    case dtype::Float16: {
      llvm::APFloat f(llvm::APFloat::IEEEhalf(), llvm::APInt(16, read(uint16_t(), i)));
      c.floats.push_back(f.convertToDouble());
      break;
    }
    case dtype::BFloat16: {
      llvm::APFloat f(llvm::APFloat::BFloat(), llvm::APInt(16, read(uint16_t(), i)));
      c.floats.push_back(f.convertToDouble());
      break;
    }
    case dtype::Bool: c.ints.push_back(read(uint8_t(), i) != 0); break;
    case dtype::UInt8: c.ints.push_back(read(uint8_t(), i)); break;
    case dtype::Int8: c.ints.push_back(read(int8_t(), i)); break;
    case dtype::UInt16: c.ints.push_back(read(uint16_t(), i)); break;
    case dtype::Int16: c.ints.push_back(read(int16_t(), i)); break;
    case dtype::UInt32: c.ints.push_back(read(uint32_t(), i)); break;
    case dtype::Int32: c.ints.push_back(read(int32_t(), i)); break;
    case dtype::UInt64: c.ints.push_back(int64_t(read(uint64_t(), i))); break;
    case dtype::Int64: c.ints.push_back(read(int64_t(), i)); break;
    }
  }
  return c;
}

/// A low-precision tensor: its codes (raw_data packed low bits first, or one
/// value per int32_data entry for 8-bit types and one packed byte per entry
/// for sub-byte types) as a dense iN constant.
static FailureOr<ValueInfo> importCodes(MLIRContext &ctx, const onnx::TensorProto &t,
                                        const std::vector<int64_t> &shape, int64_t n,
                                        unsigned bits,
                                        const std::function<InFlightDiagnostic()> &emitErr) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return emitErr() << "tensor '" << t.name() << "': external data of "
                     << dtypeName(t.data_type()) << " is not supported";
  size_t bytes = (size_t(n) * bits + 7) / 8;
  std::string packed;
  if (t.has_raw_data()) {
    packed = t.raw_data();
  } else {
    for (int32_t v : t.int32_data())
      packed.push_back(char(v & 0xFF));
  }
  if (packed.size() != bytes)
    return emitErr() << "tensor '" << t.name() << "' holds " << packed.size()
                     << " bytes but " << n << " " << dtypeName(t.data_type()) << " values need "
                     << bytes;
  ValueInfo info;
  info.dtype = t.data_type();
  info.shape = shape;
  SmallVector<APInt> codes;
  ConstTensor c;
  c.dtype = info.dtype;
  c.shape = shape;
  for (int64_t i = 0; i < n; ++i) {
    size_t bit = size_t(i) * bits;
    unsigned code = (uint8_t(packed[bit / 8]) >> (bit % 8)) & ((1u << bits) - 1);
    codes.push_back(APInt(bits, code));
    c.ints.push_back(code);
  }
  info.attr = DenseElementsAttr::get(RankedTensorType::get(shape, IntegerType::get(&ctx, bits)),
                                     codes);
  if (n <= 4096)
    info.konst = std::move(c);
  return info;
}

FailureOr<ValueInfo> mlir::qopt::onnx_import::importTensor(
    MLIRContext &ctx, const onnx::TensorProto &t, llvm::StringRef modelPath,
    std::vector<std::unique_ptr<ExternalData>> &external,
    const std::function<InFlightDiagnostic()> &emitErr) {
  int32_t dt = t.data_type();
  Type elem = elementTypeOf(&ctx, dt);
  if (!elem)
    return emitErr() << "tensor '" << t.name() << "' has unsupported element type "
                     << dtypeName(dt);
  std::vector<int64_t> shape(t.dims().begin(), t.dims().end());
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return emitErr() << "tensor '" << t.name() << "' has a negative dimension";
    if (llvm::MulOverflow(n, d, n) || n > (int64_t(1) << 40))
      return emitErr() << "tensor '" << t.name() << "' has too many elements (shape overflows)";
  }
  if (unsigned bits = lowPrecisionBits(dt))
    return importCodes(ctx, t, shape, n, bits, emitErr);
  size_t bytes = size_t(n) * byteWidthOf(dt);
  llvm::StringRef data;
  std::string owned;
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    FailureOr<llvm::StringRef> mapped = mapExternal(t, modelPath, bytes, external, emitErr);
    if (failed(mapped))
      return failure();
    data = *mapped;
  } else {
    FailureOr<std::string> raw = rawBytes(t, n, emitErr);
    if (failed(raw))
      return failure();
    owned = std::move(*raw);
    data = owned;
  }
  ValueInfo info;
  info.dtype = dt;
  info.shape = shape;
  auto type = RankedTensorType::get(shape, elem);
  if (n <= 4096)
    info.konst = toConst(dt, shape, data.data(), n);
  if (dt == dtype::Bool) {
    SmallVector<bool> v;
    for (int64_t i = 0; i < n; ++i)
      v.push_back(data[i] != 0);
    info.attr = DenseElementsAttr::get(type, v);
  } else if (n <= 8) {
    info.attr = DenseElementsAttr::getFromRawBuffer(type, ArrayRef<char>(data.data(), data.size()));
  } else {
    std::string name = t.name().empty() ? "onnx_constant" : t.name();
    AsmResourceBlob blob;
    bool aligned = reinterpret_cast<uintptr_t>(data.data()) % 8 == 0;
    if (!owned.empty() || !aligned || external.empty()) {
      blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
          ArrayRef<char>(data.data(), data.size()), 8);
    } else {
      // Memory-mapped: the blob keeps the mapping alive; nothing is copied.
      std::shared_ptr<llvm::MemoryBuffer> keep = external.back()->buffer;
      blob = AsmResourceBlob(ArrayRef<char>(data.data(), data.size()), 8,
                             [keep](void *, size_t, size_t) mutable { keep.reset(); },
                             /*dataIsMutable=*/false);
    }
    info.attr = DenseResourceElementsAttr::get(type, name, std::move(blob));
  }
  return info;
}
