"""Vision transformers and the pre-norm transformer encoder block.

ViT-B/16 uses ``torchvision.models.vision_transformer``'s names (``conv_proj``,
``class_token``, ``encoder.pos_embedding``, ``encoder.layers.encoder_layer_0.ln_1``,
``...mlp.0``/``mlp.3``, ``encoder.ln``, ``heads.head``) so its weights load strictly.
The encoder block is shared with the sequence classifier and the block palette.
"""

from __future__ import annotations

from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.graph import ModelGraph
from graphbuilder.zoo.common import finish, group_nodes, run_config


def encoder_block(b: NetBuilder, x: str, width: int, num_heads: int, mlp_dim: int,
                  dropout: float = 0.0, attention_dropout: float = 0.0,
                  eps: float = 1e-6) -> str:
    """Pre-norm block: x + MHA(LN(x)), then + MLP(LN(.)) -- torchvision's EncoderBlock."""
    h = b.add("ln_1", "LayerNorm", x, eps=eps)
    h = b.add("self_attention", "MultiheadAttention", h, num_heads=num_heads,
              dropout=attention_dropout)
    h = b.add("dropout", "Dropout", h, p=dropout)
    r = b.add("add_1", "Add", [h, x])
    h = b.add("ln_2", "LayerNorm", r, eps=eps)
    with b.scope("mlp"):
        h = b.add("0", "Linear", h, out_features=mlp_dim)
        h = b.add("1", "GELU", h)
        h = b.add("2", "Dropout", h, p=dropout)
        h = b.add("3", "Linear", h, out_features=width)
        h = b.add("4", "Dropout", h, p=dropout)
    return b.add("add_2", "Add", [r, h])


def encoder(b: NetBuilder, h: str, width: int, depth: int, num_heads: int, mlp_dim: int,
            dropout: float = 0.0, eps: float = 1e-6) -> str:
    """``encoder.layers.encoder_layer_i`` blocks and the final ``encoder.ln``."""
    with b.scope("encoder"):
        with b.scope("layers"):
            for i in range(depth):
                with b.scope(f"encoder_layer_{i}", f"Encoder block {i}"):
                    h = encoder_block(b, h, width, num_heads, mlp_dim, dropout, eps=eps)
        h = b.add("ln", "LayerNorm", h, eps=eps)
    return h


def patch_embedding(b: NetBuilder, x: str, width: int, patch: int, tokens: int,
                    group: bool = True) -> str:
    """Patchify conv -> tokens -> prepend class token -> add positional embedding."""
    before = set(b.graph.nodes())
    h = b.add("conv_proj", "Conv2d", x, out_channels=width, kernel_size=patch, stride=patch)
    h = b.add("to_tokens", "ImageToTokens", h)
    cls = b.param("class_token", [1, 1, width], init="zeros")
    h = b.add("prepend_class_token", "PrependToken", h, cls)
    pos = b.param("encoder.pos_embedding", [1, tokens + 1, width], init="normal", std=0.02)
    h = b.add("add_pos_embedding", "Add", [h, pos])
    h = b.add("encoder.dropout", "Dropout", h, p=0.0)
    if group:
        group_nodes(b, "patch_embedding", "Patch embedding + class token + positions", before)
    return h


def vit(name: str, *, size: int, patch: int, width: int, depth: int, num_heads: int,
        mlp_dim: int, num_classes: int, in_channels: int = 3, dropout: float = 0.0,
        title: str, description: str, training: dict, source: str | None = None) -> ModelGraph:
    """A ViT classifier: patch embedding, ``depth`` encoder blocks, class-token head."""
    if size % patch:
        raise ValueError(f"image size {size} is not a multiple of the patch size {patch}")
    b = NetBuilder(name)
    x = b.input("x", [in_channels, size, size])
    h = patch_embedding(b, x, width, patch, (size // patch) ** 2)
    h = encoder(b, h, width, depth, num_heads, mlp_dim, dropout)
    before = set(b.graph.nodes())
    h = b.add("class_token_out", "SelectToken", h, index=0)
    h = b.add("heads.head", "Linear", h, out_features=num_classes)
    group_nodes(b, "head", "Head: class token -> classes", before)
    b.output("y", h)
    return finish(b, title=title, category="Image classification", description=description,
                  input_shape=[in_channels, size, size], training=training, source=source)


def vit_b_16(num_classes: int = 1000) -> ModelGraph:
    """ViT-Base/16 at 224x224, identical parameter names to torchvision's ``vit_b_16``."""
    return vit(
        "vit_b_16", size=224, patch=16, width=768, depth=12, num_heads=12, mlp_dim=3072,
        num_classes=num_classes, title="ViT-B/16", source="vit_b_16",
        description=("Vision Transformer Base/16: 16x16 patches become 196 tokens plus a class "
                     "token, 12 pre-norm encoder blocks. torchvision.models.vit_b_16 weights "
                     "load directly; needs 224x224 inputs (the positional embedding is sized "
                     "for them)."),
        training=run_config("imagefolder:PATH", epochs=300, batch_size=64, optimizer="adamw",
                            lr=3e-3, weight_decay=0.3, schedule="cosine", warmup_steps=10000,
                            augment=["crop", "hflip"]),
    )


def vit_tiny(num_classes: int = 3) -> ModelGraph:
    """A small ViT for 32x32 images: 4x4 patches, width 128, 6 blocks."""
    return vit(
        "vit_tiny", size=32, patch=4, width=128, depth=6, num_heads=4, mlp_dim=256,
        num_classes=num_classes, dropout=0.1, title="ViT (small, 32x32)",
        description=("A small Vision Transformer for 32x32 images: 4x4 patches (64 tokens + "
                     "class token), width 128, 6 encoder blocks. Sized for the built-in "
                     "'shapes' dataset; transformers need more data or augmentation than CNNs."),
        training=run_config("shapes", epochs=30, batch_size=64, optimizer="adamw", lr=1e-3,
                            weight_decay=0.05, schedule="cosine", warmup_steps=100),
    )
