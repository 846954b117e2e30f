//===- Emit.h - LLVM IR, assembly, objects and C libraries ------*- C++ -*-===//
//
// Part of qopt. The back end of qopt-compile: translate the lowered module to
// LLVM IR, optimise it, emit assembly or an object for the host (or a chosen)
// CPU, and wrap the object into a shared library with a documented C ABI
// (docs/CABI.md) and a header.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_TARGET_EMIT_H
#define QOPT_TARGET_EMIT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace mlir::qopt {

/// One input or output of a compiled model.
struct TensorDesc {
  std::string name;    ///< ONNX name
  int32_t onnxDType;   ///< TensorProto data type code
  std::vector<int64_t> shape;
};

/// What the C ABI exposes; read from the entry function before lowering
/// (its `onnx.name` / `onnx.dtype` argument and result attributes).
struct ModelInterface {
  std::string entry; ///< symbol of the lowered entry function
  std::vector<TensorDesc> inputs, outputs;
};

FailureOr<ModelInterface> getModelInterface(ModuleOp module, llvm::StringRef entry);

/// The C type spelling of an ONNX data type in the generated header.
std::string cTypeOf(int32_t onnxDType);

enum class EmitKind { LLVMIR, Assembly, Object };

struct CodegenOptions {
  std::string cpu;      ///< "" = the host CPU
  std::string features; ///< "" = the host CPU's features
  unsigned optLevel = 3;
};

/// Whether the target CPU of `options` has the named feature (e.g. "avx512f").
bool targetHasFeature(const CodegenOptions &options, llvm::StringRef feature);

/// Whether the target CPU has what qopt's AVX-512 kernels use: AVX512F and
/// AVX512BW (zmm vpshufb, vpermi2w, vpsrlvw).
bool targetHasAvx512Kernels(const CodegenOptions &options);

/// Translates a module in the LLVM dialect to LLVM IR and optimises it.
std::unique_ptr<llvm::Module> translateAndOptimize(ModuleOp module, llvm::LLVMContext &ctx,
                                                   const CodegenOptions &options,
                                                   std::string &error);

/// Writes LLVM IR, assembly or an object file for `module`.
LogicalResult emit(llvm::Module &module, EmitKind kind, const CodegenOptions &options,
                   llvm::raw_pwrite_stream &os, std::string &error);

/// The C header of a compiled model (prefix: the typed entry point's prefix).
std::string generateHeader(const ModelInterface &iface, llvm::StringRef prefix,
                           llvm::StringRef source);
/// The C source of the ABI wrapper (introspection + entry points).
std::string generateWrapper(const ModelInterface &iface, llvm::StringRef prefix);

/// Links `objectPath` and the wrapper into the shared library `outPath` with
/// the C compiler `cc`.
LogicalResult linkSharedLibrary(llvm::StringRef cc, llvm::StringRef objectPath,
                                llvm::StringRef wrapperSource, llvm::StringRef headerPath,
                                llvm::StringRef outPath, std::string &error);

} // namespace mlir::qopt

#endif // QOPT_TARGET_EMIT_H
