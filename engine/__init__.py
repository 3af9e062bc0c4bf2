"""The process engine: the only package that imports SpiffWorkflow, and it imports no Django."""

from engine.definitions import Definition, DefinitionInvalid, check_files, load_files, load_folder
from engine.diff import DefinitionDiff, ElementChange, diff_definitions
from engine.errors import EngineError
from engine.form_validation import validate_form_data
from engine.info import CurrentStep, ErrorInfo, HumanTaskInfo, InstanceStatus, TimerInfo
from engine.instance import ProcessInstance
from engine.lint import Problem
from engine.migration import MigrationVerdict, assess, assess_state, migrate

__all__ = [
    "CurrentStep", "Definition", "DefinitionInvalid", "EngineError", "ErrorInfo", "HumanTaskInfo",
    "InstanceStatus", "Problem", "ProcessInstance", "TimerInfo", "check_files", "load_files",
    "load_folder", "validate_form_data",
]
__all__ += [
    "DefinitionDiff", "ElementChange", "MigrationVerdict", "assess", "assess_state",
    "diff_definitions", "migrate",
]
