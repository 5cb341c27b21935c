"""Training tests: shared models importable as ``training_models``; one torch thread per test.

The CI box is small and shared: with several threads per process, a busy neighbour turns
seconds into minutes (threads spin-wait on each other), so our tests use one thread.
"""

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
