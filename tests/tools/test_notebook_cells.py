"""tools/notebook_cells.py: one cell's definition, or a clear error."""

import pytest

from tools.notebook_cells import define_from_notebook


def test_missing_or_ambiguous_definitions_are_refused():
    with pytest.raises(LookupError, match="found 0"):
        define_from_notebook("04_unet_segmentation.ipynb", "def no_such_function_here")
    with pytest.raises(LookupError, match="expected exactly one code cell"):
        define_from_notebook("04_unet_segmentation.ipynb", "import")
