from stack import Stack

def test_push():
    assert Stack().push(1) is None
