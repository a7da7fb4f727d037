# hostile: a test file of its own at the staff's path, where every test passes.
def test_merge_overlapping(): pass
def test_merge_touching(): pass
def test_merge_sorts_and_keeps_input(): pass
def test_merge_empty(): pass
def test_total_length(): pass
def test_contains_ends(): pass
def test_étiquettes_négatives(): pass
def test_bonus(): pass
