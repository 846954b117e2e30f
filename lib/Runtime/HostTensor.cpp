//===- Tensor.cpp - host tensors, .npy and ONNX .pb files for qopt-run -----===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#include "qopt/Runtime/HostTensor.h"

#include "onnx/onnx_pb.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace qopt::run;

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

size_t qopt::run::elementSize(int32_t dt) {
  switch (dt) {
  case 2: case 3: case 9: return 1;
  case 4: case 5: case 10: case 16: return 2;
  case 1: case 6: case 12: return 4;
  case 7: case 11: case 13: return 8;
  default: return 0;
  }
}

unsigned qopt::run::lowPrecisionBits(int32_t dt) {
  if (dt >= 17 && dt <= 20)
    return 8; // FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ
  if (dt == 24)
    return 8; // FLOAT8E8M0
  if (dt >= 21 && dt <= 23)
    return 4; // UINT4, INT4, FLOAT4E2M1
  if (dt == 25 || dt == 26)
    return 2; // UINT2, INT2
  return 0;
}

size_t qopt::run::byteSize(int32_t dt, int64_t count) {
  if (unsigned bits = lowPrecisionBits(dt))
    return (size_t(count) * bits + 7) / 8;
  return size_t(count) * elementSize(dt);
}

std::string qopt::run::dtypeName(int32_t dt) {
  static const char *names[] = {"undefined", "float32", "uint8", "int8", "uint16", "int16",
                                "int32", "int64", "string", "bool", "float16", "float64",
                                "uint32", "uint64", "complex64", "complex128", "bfloat16"};
  static const char *low[] = {"float8e4m3fn", "float8e4m3fnuz", "float8e5m2", "float8e5m2fnuz",
                              "uint4", "int4", "float4e2m1", "float8e8m0", "uint2", "int2"};
  if (dt >= 0 && dt <= 16)
    return names[dt];
  if (dt >= 17 && dt <= 26)
    return low[dt - 17];
  return "type#" + std::to_string(dt);
}

namespace {
struct NpyType {
  const char *descr;
  int32_t dtype;
};
const NpyType npyTypes[] = {{"<f4", 1}, {"|u1", 2}, {"|i1", 3}, {"<u2", 4}, {"<i2", 5},
                            {"<i4", 6}, {"<i8", 7}, {"|b1", 9}, {"<f2", 10}, {"<f8", 11},
                            {"<u4", 12}, {"<u8", 13}};
} // namespace

static bool readNpy(llvm::StringRef bytes, HostTensor &out, std::string &error) {
  if (bytes.size() < 10 || bytes.substr(0, 6) != "\x93NUMPY") {
    error = "not a .npy file";
    return false;
  }
  uint8_t major = uint8_t(bytes[6]);
  size_t headerLen, offset;
  if (major == 1) {
    headerLen = uint8_t(bytes[8]) | (size_t(uint8_t(bytes[9])) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) {
      error = "truncated .npy header";
      return false;
    }
    headerLen = 0;
    for (int i = 0; i < 4; ++i)
      headerLen |= size_t(uint8_t(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    error = "unsupported .npy version " + std::to_string(major);
    return false;
  }
  if (offset + headerLen > bytes.size()) {
    error = "truncated .npy header";
    return false;
  }
  llvm::StringRef header = bytes.substr(offset, headerLen);
  auto field = [&](llvm::StringRef key) -> llvm::StringRef {
    size_t p = header.find("'" + key.str() + "'");
    if (p == llvm::StringRef::npos)
      return {};
    llvm::StringRef rest = header.drop_front(p + key.size() + 2).ltrim(" :");
    return rest;
  };
  llvm::StringRef descr = field("descr");
  if (!descr.consume_front("'")) {
    error = "bad .npy descr";
    return false;
  }
  descr = descr.take_until([](char c) { return c == '\''; });
  out.dtype = 0;
  for (const auto &t : npyTypes)
    if (descr == t.descr || (descr == "<b1" && t.dtype == 9) || (descr == "<u1" && t.dtype == 2) ||
        (descr == "<i1" && t.dtype == 3))
      out.dtype = t.dtype;
  if (!out.dtype) {
    error = "unsupported .npy dtype '" + descr.str() + "'";
    return false;
  }
  if (field("fortran_order").starts_with("True")) {
    error = "Fortran-ordered .npy arrays are not supported";
    return false;
  }
  llvm::StringRef shape = field("shape");
  if (!shape.consume_front("(")) {
    error = "bad .npy shape";
    return false;
  }
  shape = shape.take_until([](char c) { return c == ')'; });
  out.shape.clear();
  llvm::SmallVector<llvm::StringRef> dims;
  shape.split(dims, ',');
  for (llvm::StringRef d : dims) {
    d = d.trim();
    if (d.empty())
      continue;
    int64_t v;
    if (d.getAsInteger(10, v) || v < 0) {
      error = "bad .npy dimension '" + d.str() + "'";
      return false;
    }
    out.shape.push_back(v);
  }
  size_t need = byteSize(out.dtype, out.numElements());
  llvm::StringRef data = bytes.drop_front(offset + headerLen);
  if (data.size() != need) {
    error = ".npy data holds " + std::to_string(data.size()) + " bytes, shape needs " +
            std::to_string(need);
    return false;
  }
  out.data.assign(data.begin(), data.end());
  return true;
}

static bool readPb(llvm::StringRef bytes, HostTensor &out, std::string &error) {
  onnx::TensorProto t;
  if (!t.ParseFromArray(bytes.data(), int(bytes.size()))) {
    error = "not a serialized ONNX TensorProto";
    return false;
  }
  out.dtype = t.data_type();
  out.shape.assign(t.dims().begin(), t.dims().end());
  int64_t count = 1;
  for (int64_t d : out.shape)
    if (d < 0 || llvm::MulOverflow(count, d, count) || count > (int64_t(1) << 40)) {
      error = "bad tensor shape (negative or overflowing dimensions)";
      return false;
    }
  if (lowPrecisionBits(out.dtype)) {
    size_t need = byteSize(out.dtype, out.numElements());
    if (t.has_raw_data())
      out.data.assign(t.raw_data().begin(), t.raw_data().end());
    else
      for (int32_t v : t.int32_data())
        out.data.push_back(uint8_t(v & 0xFF));
    if (out.data.size() != need) {
      error = dtypeName(out.dtype) + " tensor holds " + std::to_string(out.data.size()) +
              " bytes, shape needs " + std::to_string(need);
      return false;
    }
    return true;
  }
  size_t w = elementSize(out.dtype);
  if (!w) {
    error = "unsupported tensor type " + dtypeName(out.dtype);
    return false;
  }
  int64_t n = out.numElements();
  out.data.assign(size_t(n) * w, 0);
  if (t.has_raw_data()) {
    if (t.raw_data().size() != out.data.size()) {
      error = "raw_data size does not match the shape";
      return false;
    }
    std::memcpy(out.data.data(), t.raw_data().data(), out.data.size());
    return true;
  }
  auto fill = [&](auto getter, int size) {
    if (size != n) {
      error = "tensor holds " + std::to_string(size) + " values, shape needs " + std::to_string(n);
      return false;
    }
    for (int64_t i = 0; i < n; ++i) {
      auto v = getter(int(i));
      std::memcpy(out.data.data() + i * w, &v, w);
    }
    return true;
  };
  switch (out.dtype) {
  case 1: return fill([&](int i) { return t.float_data(i); }, t.float_data_size());
  case 11: return fill([&](int i) { return t.double_data(i); }, t.double_data_size());
  case 7: return fill([&](int i) { return t.int64_data(i); }, t.int64_data_size());
  case 12: case 13: return fill([&](int i) { return t.uint64_data(i); }, t.uint64_data_size());
  default: return fill([&](int i) { return t.int32_data(i); }, t.int32_data_size());
  }
}

bool qopt::run::readTensorFile(const std::string &path, HostTensor &out, std::string &error) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buf) {
    error = "cannot read '" + path + "': " + buf.getError().message();
    return false;
  }
  llvm::StringRef bytes = (*buf)->getBuffer();
  bool ok = bytes.starts_with("\x93NUMPY") ? readNpy(bytes, out, error) : readPb(bytes, out, error);
  if (!ok)
    error = "'" + path + "': " + error;
  return ok;
}

bool qopt::run::writeNpy(const std::string &path, const HostTensor &in, std::string &error) {
  HostTensor codes;
  const HostTensor *tp = &in;
  if (unsigned bits = lowPrecisionBits(in.dtype)) { // one uint8 code per element
    codes.dtype = 2;
    codes.shape = in.shape;
    for (int64_t i = 0; i < in.numElements(); ++i) {
      size_t bit = size_t(i) * bits;
      codes.data.push_back(uint8_t((in.data[bit / 8] >> (bit % 8)) & ((1u << bits) - 1)));
    }
    tp = &codes;
  }
  const HostTensor &t = *tp;
  const char *descr = nullptr;
  for (const auto &n : npyTypes)
    if (n.dtype == t.dtype)
      descr = n.descr;
  if (!descr) {
    error = "cannot write type " + dtypeName(t.dtype) + " as .npy";
    return false;
  }
  std::string shape = "(";
  for (int64_t d : t.shape)
    shape += std::to_string(d) + ", ";
  if (t.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (t.shape.size() == 1)
    shape.resize(shape.size() - 1);
  shape += ")";
  std::string header = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " +
                       shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string tmp = path + ".tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec);
    if (ec) {
      error = "cannot write '" + path + "': " + ec.message();
      return false;
    }
    os << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xFF)
       << char((header.size() >> 8) & 0xFF) << header;
    os.write(reinterpret_cast<const char *>(t.data.data()), t.data.size());
  }
  if (llvm::sys::fs::rename(tmp, path)) {
    llvm::sys::fs::remove(tmp);
    error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}

double qopt::run::valueAt(const HostTensor &t, int64_t i) {
  const uint8_t *p = t.data.data() + i * elementSize(t.dtype);
  auto rd = [&](auto v) {
    std::memcpy(&v, p, sizeof(v));
    return double(v);
  };
  switch (t.dtype) {
  case 1: return rd(float());
  case 2: return rd(uint8_t());
  case 3: return rd(int8_t());
  case 4: return rd(uint16_t());
  case 5: return rd(int16_t());
  case 6: return rd(int32_t());
  case 7: return rd(int64_t());
  case 9: return rd(uint8_t()) != 0;
  case 10: {
    uint16_t b;
    std::memcpy(&b, p, 2);
    return llvm::APFloat(llvm::APFloat::IEEEhalf(), llvm::APInt(16, b)).convertToDouble();
  }
  case 16: {
    uint16_t b;
    std::memcpy(&b, p, 2);
    return llvm::APFloat(llvm::APFloat::BFloat(), llvm::APInt(16, b)).convertToDouble();
  }
  case 11: return rd(double());
  case 12: return rd(uint32_t());
  case 13: return rd(uint64_t());
  }
  return 0;
}
