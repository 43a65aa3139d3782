"""Evaluation and comparison of classification predictions stored in a dataset."""

from bakeoff.evaluation.classification import (
    BinaryClassificationResults,
    ClassificationResults,
    evaluate_classifications,
)
from bakeoff.evaluation.compare import Comparison, compare

__all__ = ["BinaryClassificationResults", "ClassificationResults", "Comparison", "compare",
           "evaluate_classifications"]
