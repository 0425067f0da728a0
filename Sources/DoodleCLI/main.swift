import ArgumentParser
print("doodle")
