import XCTest
import Doodle
final class DoodleSmokeTests: XCTestCase { func testBuilds() {} }
