"""Shape inference, torch.fx code generation and ONNX / PyTorch-code export."""
