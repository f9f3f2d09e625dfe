# SPDX-License-Identifier: GPL-2.0-or-later
"""pytest-vacmlab: drive vacmlab labs from pytest through the vacmlab CLI."""
from pytest_vacmlab.lab import Console, Lab, Node, VacmlabError, Vacmlab

__all__ = ["Console", "Lab", "Node", "Vacmlab", "VacmlabError"]
