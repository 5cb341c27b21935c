"""Built-in op declarations. Importing this package registers them all."""

from graphbuilder.core.ops import (  # noqa: F401
    activation,
    attention,
    conv,
    dense,
    io,
    merge,
    norm,
    pooling,
    recurrent,
    reshape,
)
