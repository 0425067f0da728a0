// placeholder, replaced by the image codec work
int image_codecs_version(void);
