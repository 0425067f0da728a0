import XCTest
import Patches
final class PatchesSmokeTests: XCTestCase { func testBuilds() {} }
