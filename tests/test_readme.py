"""The README's Python example runs and prints what its comments promise."""

import contextlib
import io
import re
from pathlib import Path

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_notebook_example_runs_and_matches_its_comments():
    section = README.split("## Using rnnviz from Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines[0] == "['movie', 'was', 'good', 'bad', 'not']"
    assert lines[1] == "[0, 1, 4, 2]"
    assert lines[2] == "(3, 4, 5)"
    assert lines[3] == "(5, 3) (3, 3)"
    assert lines[4] == "27 4"
    assert "True" in lines
    assert lines[-1] == "1.0"
