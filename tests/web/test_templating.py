"""Template compilation is serialized on Pythons whose AST parser races (CPython gh-106905)."""
import sys
import threading

from poser_web.web import templating
from tests.waiting import blocked_in, wait_until


def test_a_compile_waits_for_the_one_in_progress(tmp_path):
    from chameleon import PageTemplateFile

    templating.serialize_template_compilation()
    path = tmp_path / "fresh.pt"
    path.write_text('<p tal:repeat="x range(3)">${x}</p>')
    done = []
    thread = threading.Thread(target=lambda: done.append(PageTemplateFile(str(path))()))
    with templating._compile_lock:  # another thread is compiling
        thread.start()
        if sys.version_info < (3, 12):
            wait_until(lambda: blocked_in(thread, "_cook") or done, "the compile to reach the lock")
            assert not done, "the compile did not wait for the lock"
        else:  # the parser is thread-safe there: nothing to serialize
            wait_until(lambda: done, "the compile, which takes no lock")
    thread.join(timeout=10)
    assert done and "<p>2</p>" in done[0]
