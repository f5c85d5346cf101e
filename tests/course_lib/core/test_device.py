import pytest
import torch

from course_lib.core.device import available_devices, get_device


def test_default_is_best_available(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    assert get_device().type == available_devices()[0]


def test_env_override_cpu(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")


def test_env_unknown_type_names_allowed_values(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match="cpu, cuda, mps"):
        get_device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="machine has CUDA")
def test_env_cuda_without_cuda_says_what_is_available(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    with pytest.raises(RuntimeError) as error:
        get_device()
    message = str(error.value)
    assert "no CUDA device" in message and "available: " in message and "\n" not in message


def test_cuda_preferred_when_present(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device().type == "cuda"
