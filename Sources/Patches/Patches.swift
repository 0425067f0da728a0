// Semantic maps, patch extraction and matching arrive with the engine issue.
import Net
